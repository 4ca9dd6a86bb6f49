"""Integration: a tiny RSvHeat Oriented R-CNN overfits the real DOTA tile.

The tile (4 planes) is trained at 192 px (x0.1875 of its 1024 px label
frame; measured: mAP 0.55 after 40 iterations, 59 CPU-s)
and evaluated with mmrotate's ``DOTAMetric``: mAP (IoU 0.5) >= 0.5. The
trained model then runs over a GeoTIFF scene made by pasting the 192 px tile
into a larger canvas at a known offset (:class:`DetSceneInferencer`, 256 px
windows): it finds the tile's objects there, at boxes shifted by the offset,
and the GeoJSON polygons are the DOTA-txt pixel corners through the scene's
geotransform.
"""
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip('mmrotate')

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from det_helpers import (CONFIGS, REPO, dataset_cfgs,  # noqa: E402
                         runner_cfg, shrink_model)

ITERS = 80
LR = 1e-3


@pytest.mark.slow
def test_overfit_real_dota_tile(shared_data, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(REPO / CONFIGS['dota']))
    shrink_model(cfg.model)
    train, test = dataset_cfgs('dota', cfg, shared_data, tmp_path, size=192)
    runner_cfg(cfg, train, test, tmp_path / 'w', iters=ITERS,
               evaluator=dict(type='DOTAMetric', metric='mAP'))
    cfg.optim_wrapper.optimizer.lr = LR
    cfg.default_hooks.logger.interval = 25
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    elapsed = time.time() - start
    print(f'overfit: {metrics} in {elapsed:.0f} s')
    assert metrics['dota/mAP'] >= 0.5, metrics
    ckpt = tmp_path / 'dota_tiny.pth'
    runner.save_checkpoint(str(tmp_path), ckpt.name)
    check_pasted_scene(cfg, train, ckpt, tmp_path)


def _tile_at_train_scale(train):
    """The tile and its rotated boxes as the model saw them (192 px)."""
    from mmrotate.registry import DATASETS
    ds = dict(train, pipeline=[t for t in train['pipeline']
                               if 'Pack' not in t['type']])
    item = DATASETS.build(ds)[0]
    return (item['img'], item['gt_bboxes'].tensor.clone(),
            item['gt_bboxes_labels'])


def _recall(dets, gt, labels, iou=0.5):
    """Fraction of gt rotated boxes matched by a same-class detection."""
    import torch
    from mmcv.ops import box_iou_rotated
    if len(dets['bboxes']) == 0:
        return 0.
    ious = box_iou_rotated(gt.float(), dets['bboxes'].float())
    same = torch.as_tensor(labels)[:, None] == dets['labels'][None, :]
    return float(((ious * same) >= iou).any(1).float().mean())


def check_pasted_scene(cfg, train, ckpt, tmp_path):
    import json

    import numpy as np
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'apis'))
    from scene_helpers import geotransform, write_tif
    from rsvheat_mm.apis import DetSceneInferencer
    from rsvheat_mm.apis.raster_io import pixel_polygon_to_crs
    img, gt, labels = _tile_at_train_scale(train)
    h, w = img.shape[:2]
    ox, oy = 40, 56
    canvas = np.empty((384, 512, 3), np.uint8)
    canvas[:] = np.median(img.reshape(-1, 3), 0).astype(np.uint8)
    canvas[oy:oy + h, ox:ox + w] = img
    tf = geotransform(412000.0, 3300000.0, 0.8)
    scene = write_tif(tmp_path / 'pasted.tif',
                      np.ascontiguousarray(canvas[..., ::-1]), transform=tf)
    # the scene is at the trained scale: no resize to the label frame
    cfg.test_dataloader.dataset.pipeline = [
        dict(type='mmdet.LoadImageFromFile'),
        dict(type='mmdet.PackDetInputs', meta_keys=(
            'img_id', 'img_path', 'ori_shape', 'img_shape',
            'scale_factor'))]
    inf = DetSceneInferencer(cfg, str(ckpt), 'cpu', patch_size=256, gap=64,
                             score_thr=0.05, progress=False)
    dets = inf.detect(inf.open_inputs([scene])[0])
    shifted = gt.clone()
    shifted[:, 0] += ox
    shifted[:, 1] += oy
    found = _recall(dets, shifted, labels)
    unshifted = _recall(dets, gt, labels)
    print(f'pasted scene: recall {found:.2f} at the shifted boxes, '
          f'{unshifted:.2f} at the unshifted ones, {len(gt)} objects')
    assert found >= 0.5, found
    assert unshifted < found
    man = inf([scene], tmp_path / 'scene_out')
    doc = json.loads(Path(man['outputs']['geojson']).read_text())
    lines = Path(man['outputs']['txt']).read_text().splitlines()
    assert len(lines) == len(dets['bboxes']) > 0
    assert 0 < len(doc['features']) <= len(lines)
    from rsvheat_mm.evaluation.functional.submission import \
        detections_to_polys
    txt_polys = np.array([line.split()[:8] for line in lines], float)
    checked = 0
    for f in doc['features']:
        box = torch.tensor([f['properties']['bbox_px']], dtype=torch.float64)
        px = detections_to_polys(dict(bboxes=box)).reshape(4, 2)
        # the txt line of this detection, to its 0.1 px rounding
        assert np.abs(txt_polys - px.reshape(1, 8)).max(1).min() <= 0.051
        if (px < 0).any() or (px[:, 0] > 512).any() or (px[:, 1] > 384).any():
            continue  # clipped to the scene in the GeoJSON
        ring = np.array(f['geometry']['coordinates'][0])
        assert len(ring) == 5 and (ring[0] == ring[-1]).all()
        np.testing.assert_allclose(ring[:4], pixel_polygon_to_crs(px, tf),
                                   rtol=0, atol=1e-6)
        checked += 1
    assert checked > 0
