"""Tile-by-tile inference: exact tiling + merge (stub detector) and the
``tools/huge_image_inference.py`` command with a tiny real detector."""
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
pytest.importorskip('mmrotate')

from mmengine.config import Config  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402
from mmrotate.structures.bbox import qbox2rbox  # noqa: E402

from rsvheat_mm.datasets.annotations import parse_dota_txt  # noqa: E402
from rsvheat_mm.apis.tiled_inference import (crop_window,  # noqa: E402
                                      draw_detections, format_detections,
                                      tiled_inference)
from rsvheat_mm.utils.patch.split import compute_windows, split_objects  # noqa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from det_helpers import CONFIGS, REPO, rbox_pipelines, shrink_model  # noqa


class StubDetector:
    """Returns, for each tile, the ground truth visible in it (score=IoF),
    after checking that the tile pixels are the right crop."""

    def __init__(self, image, objects, patch, gap):
        self.cfg = Config(dict(
            default_scope='mmdet',
            test_dataloader=dict(dataset=dict(pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations', with_bbox=True),
                dict(type='PackDetInputs')]))))
        self.image, self.objects = image, objects
        self.windows = compute_windows(image.shape[1], image.shape[0], patch,
                                       gap)
        self.seen = []

    def eval(self):
        return self

    def test_step(self, data):
        out = []
        for inputs, sample in zip(data['inputs'], data['data_samples']):
            win = self.windows[sample.img_id]
            self.seen.append(sample.img_id)
            crop = crop_window(self.image, win)
            np.testing.assert_array_equal(
                inputs.permute(1, 2, 0).numpy(), crop)
            objs = split_objects(self.objects, win)
            polys = np.stack([o['poly'] for o in objs]) if objs else \
                np.zeros((0, 8), np.float32)
            sample.pred_instances = InstanceData(
                bboxes=qbox2rbox(torch.tensor(polys)),
                scores=torch.tensor([o['iof'] for o in objs]),
                labels=torch.zeros(len(objs), dtype=torch.long))
            out.append(sample)
        return out


def test_tiled_inference_recovers_every_object_once(shared_data):
    rng = np.random.default_rng(0)
    objs, _ = parse_dota_txt(
        str(shared_data / 'dota/labelTxt/P2805__1024__0___0.txt'))
    # a 1100 x 1300 scene: the tile's objects plus shifted copies
    image = rng.integers(0, 255, (1100, 1300, 3), dtype=np.uint8)
    scene = objs + [dict(o, poly=o['poly'] + np.float32([-340, -480] * 4))
                    for o in objs[:2]]
    stub = StubDetector(image, scene, patch=512, gap=256)
    dets = tiled_inference(stub, image, patch_size=512, gap=256,
                           batch_size=3, score_thr=0., progress=False)
    assert sorted(stub.seen) == list(range(len(stub.windows)))
    assert len(dets['scores']) == len(scene)
    assert (dets['scores'] == 1).all()
    ref = qbox2rbox(torch.tensor(np.stack([o['poly'] for o in scene])))
    for r in ref:
        d = (dets['bboxes'][:, :2] - r[:2]).norm(dim=1)
        assert d.min() < 1e-3
    lines = format_detections(dets, ['plane'])
    assert len(lines) == len(scene) and lines[0].split()[8] == 'plane'
    vis = draw_detections(image[..., 0], dets, ['plane'])
    assert vis.shape == (1100, 1300, 3) and vis.dtype == np.uint8
    assert (vis != image[..., :1]).any()


def test_crop_window_pads():
    img = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out = crop_window(img, [3, 2, 7, 6], pad_value=99)
    assert out.shape == (4, 4)
    np.testing.assert_array_equal(out[:2, :2], img[2:4, 3:5])
    assert (out[2:] == 99).all() and (out[:, 2:] == 99).all()


def test_huge_image_tool(shared_data, tmp_path):
    """The command on a 1500 x 1200 image with a tiny random detector."""
    cfg_path = _tiny_dota_cfg(tmp_path)
    tile = cv2.resize(cv2.imread(str(
        shared_data / 'dota/images/P2805__1024__0___0.png')), (1024, 1024))
    scene = np.zeros((1200, 1500, 3), np.uint8)
    scene[:1024, :1024] = tile
    scene[176:, 476:] = tile
    img_path = tmp_path / 'scene.png'
    cv2.imwrite(str(img_path), scene)
    sys.path.insert(0, str(REPO / 'tools'))
    import huge_image_inference
    out = tmp_path / 'out'
    dets = huge_image_inference.main([
        str(img_path), str(cfg_path), '--out-dir', str(out),
        '--patch-size', '1024', '--gap', '200', '--score-thr', '0.0',
        '--device', 'cpu'])
    lines = (out / 'scene.txt').read_text().splitlines()
    assert len(lines) == len(dets['scores']) > 0
    meta = json.loads((out / 'scene.json').read_text())
    assert (meta['height'], meta['width']) == (1200, 1500)
    assert len(meta['bboxes']) == len(lines)
    assert np.asarray(meta['bboxes']).shape[1] == 5
    vis = cv2.imread(str(out / 'scene_vis.jpg'))
    assert vis.shape == (1200, 1500, 3)


class EverywhereDetector(StubDetector):
    """Boxes on a grid over the whole tile, the padding included."""

    def __init__(self, image, patch, gap, rotated):
        super().__init__(image, [], patch, gap)
        self.rotated = rotated

    def test_step(self, data):
        out = []
        g = torch.arange(8, 1024, 48, dtype=torch.float32)
        cy, cx = torch.meshgrid(g, g, indexing='ij')
        cx, cy = cx.reshape(-1), cy.reshape(-1)
        n = len(cx)
        for sample in data['data_samples']:
            if self.rotated:
                boxes = torch.stack([cx, cy, torch.full_like(cx, 30),
                                     torch.full_like(cx, 12),
                                     torch.full_like(cx, 0.3)], 1)
            else:
                boxes = torch.stack([cx - 20, cy - 20, cx + 20, cy + 20], 1)
            sample.pred_instances = InstanceData(
                bboxes=boxes, scores=torch.linspace(0.1, 1, n),
                labels=torch.zeros(n, dtype=torch.long))
            out.append(sample)
        return out


@pytest.mark.parametrize('rotated', [False, True])
@pytest.mark.parametrize('size', [(50, 50), (700, 900)])
def test_no_detections_in_the_padding(size, rotated):
    """Issue 16 item 3: boxes predicted in the padding of border tiles (and
    of a small image in one tile) are dropped; horizontal boxes are clipped
    to the image."""
    h, w = size
    image = np.zeros((h, w, 3), np.uint8)
    stub = EverywhereDetector(image, 512, 128, rotated)
    dets = tiled_inference(stub, image, patch_size=512, gap=128,
                           score_thr=0., iou_thr=0.5, progress=False)
    b = dets['bboxes']
    assert len(b) > 0
    if rotated:
        cx, cy = b[:, 0], b[:, 1]
    else:
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        assert (b[:, 0::2] >= 0).all() and (b[:, 0::2] <= w).all()
        assert (b[:, 1::2] >= 0).all() and (b[:, 1::2] <= h).all()
    assert ((cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)).all()


def _tiny_dota_cfg(tmp_path):
    cfg = Config.fromfile(str(REPO / CONFIGS['dota']))
    shrink_model(cfg.model)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    _, test_p = rbox_pipelines(256)
    cfg.test_dataloader.dataset.pipeline = test_p
    cfg_path = tmp_path / 'tiny_dota.py'
    cfg.dump(str(cfg_path))
    return cfg_path


def test_huge_image_tool_boxes_inside(tmp_path):
    """The command on a 700 x 900 image (one padded 1024 tile, as in the
    issue), untrained tiny model, score threshold 0: every box centre lies
    in the image (the issue found 331 of 2,000 in the padding)."""
    torch.manual_seed(0)
    cfg_path = _tiny_dota_cfg(tmp_path)
    img = np.random.default_rng(0).integers(0, 255, (700, 900, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'small.png'), img)
    sys.path.insert(0, str(REPO / 'tools'))
    import huge_image_inference
    dets = huge_image_inference.main([
        str(tmp_path / 'small.png'), str(cfg_path), '--out-dir',
        str(tmp_path / 'out'), '--score-thr', '0.0', '--device', 'cpu',
        '--no-vis'])
    b = dets['bboxes']
    assert len(b) > 0
    assert ((b[:, 0] >= 0) & (b[:, 0] < 900) & (b[:, 1] >= 0) &
            (b[:, 1] < 700)).all()


def test_huge_image_tool_refuses_silent_uint16_conversion(tmp_path):
    """Issue 16 item 6: a 4-band uint16 TIFF is not turned into 3-band 8-bit
    without a word; the error names the file and the flags, and with them
    the tool runs."""
    rasterio = pytest.importorskip('rasterio')
    cfg_path = _tiny_dota_cfg(tmp_path)
    arr = np.random.default_rng(0).integers(0, 10000, (4, 120, 140),
                                            dtype=np.uint16)
    path = tmp_path / 'ms.tif'
    with rasterio.open(str(path), 'w', driver='GTiff', width=140,
                       height=120, count=4, dtype='uint16') as dst:
        dst.write(arr)
    sys.path.insert(0, str(REPO / 'tools'))
    import huge_image_inference
    args = [str(path), str(cfg_path), '--out-dir', str(tmp_path / 'out'),
            '--device', 'cpu', '--no-vis', '--score-thr', '0']
    with pytest.raises(SystemExit, match=r'ms\.tif.*4 band.*--bands 0,1,2'):
        huge_image_inference.main(args)
    with pytest.raises(SystemExit, match=r'ms\.tif.*uint16.*--rescale'):
        huge_image_inference.main(args + ['--bands', '0,1,2'])
    assert not (tmp_path / 'out').exists()
    huge_image_inference.main(args + ['--bands', '0,1,2', '--rescale',
                                      'percentile'])
    assert (tmp_path / 'out' / 'ms.txt').is_file()


class MaskedReader:
    """An image with a valid-pixel mask, read as the scene inferencer's
    sources are (``read_window`` / ``read_valid``)."""

    def __init__(self, image, valid):
        self.image, self.valid, self.shape = image, valid, image.shape

    def read_window(self, win, pad_value=0.):
        return crop_window(self.image, win, pad_value)

    def read_valid(self, win):
        return crop_window(self.valid[..., None].astype(np.uint8), win,
                           0)[..., 0] > 0


def test_tiles_without_valid_pixels_are_not_run(tmp_path):
    """A scene whose left part is nodata: tiles there are not run; the
    scene inferencer then drops objects centred on nodata."""
    from rsvheat_mm.apis.raster_io import RasterSource
    from rsvheat_mm.apis.scene_inference import _drop_invalid_centres
    h, w = 700, 1300
    image = np.zeros((h, w, 3), np.uint8)
    valid = np.zeros((h, w), bool)
    valid[:, 800:] = True
    stub = EverywhereDetector(image, 512, 128, True)
    calls = []
    real = stub.test_step
    stub.test_step = lambda data: calls.append(len(data['inputs'])) or \
        real(data)
    dets = tiled_inference(stub, MaskedReader(image, valid), patch_size=512,
                           gap=128, score_thr=0., iou_thr=0.5,
                           progress=False)
    wins = compute_windows(w, h, 512, 128)
    with_valid = [win for win in wins if win[2] > 800]
    assert 0 < len(with_valid) < len(wins)
    assert sum(calls) == len(with_valid)
    # the same mask as a nodata GeoTIFF: centres on nodata are dropped
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scene_helpers import write_tif
    import rasterio
    arr = np.where(valid[..., None], 100, 0).astype(np.uint8)
    path = write_tif(tmp_path / 'nd.tif', np.repeat(arr, 3, -1))
    with rasterio.open(str(path), 'r+') as ds:
        ds.nodata = 0
    with RasterSource(path) as src:
        kept, dropped = _drop_invalid_centres(dets, src)
    cx = dets['bboxes'][:, 0]
    assert dropped == int((cx < 800).sum()) > 0
    assert len(kept['scores']) == len(dets['scores']) - dropped
    assert (kept['bboxes'][:, 0] >= 800).all()
    assert len(kept['labels']) == len(kept['bboxes'])
