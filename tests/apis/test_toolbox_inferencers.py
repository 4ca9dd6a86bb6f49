"""The toolboxes' own single-image APIs with this plugin's task configs
(tiny models): mmseg's init_model / inference_model / MMSegInferencer,
mmdet's init_detector / inference_detector / DetInferencer (DIOR,
SAR-Aircraft and the mmrotate-based DOTA and FAIR1M configs), mmpretrain's
ImageClassificationInferencer (AID). Configs whose test pipeline loads
several images (``LoadMultiImageFromFiles``: change detection, PolSAR,
optical + SAR) run with mmseg's init_model / inference_model and with
``rsvheat_mm.apis.MultiImageSegInferencer`` (mmseg's own inferencer refuses
them)."""
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('mmseg')
pytest.importorskip('mmdet')

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from det_helpers import CONFIGS, shrink_model  # noqa: E402
from scene_helpers import REPO, smooth_scene, tiny_seg_cfg  # noqa: E402


def test_mmseg_init_model_inference_model_and_inferencer():
    import torch
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    torch.manual_seed(0)
    img = smooth_scene(64, 80, 3, np.uint8)
    model = init_model(tiny_seg_cfg(), None, device='cpu')
    out = inference_model(model, img)
    assert tuple(out.pred_sem_seg.shape) == (64, 80)
    assert out.seg_logits.data.shape[0] == 6
    inf = MMSegInferencer(model=tiny_seg_cfg(), weights=None, device='cpu')
    res = inf(img, return_datasamples=True)
    assert tuple(res.pred_sem_seg.shape) == (64, 80)


@pytest.mark.parametrize('name', ['dior', 'sar', 'dota', 'fair1m'])
def test_mmdet_init_detector_inference_detector(name):
    import torch
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    if name in ('dota', 'fair1m'):
        pytest.importorskip('mmrotate')
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    shrink_model(cfg.model)
    model = init_detector(cfg, None, device='cpu')
    img = smooth_scene(128, 160, 3, np.uint8)[..., ::-1].copy()
    if name == 'sar':  # a 1-channel model: an [H, W] image
        img = np.ascontiguousarray(img[..., 0])
    out = inference_detector(model, img)
    boxes = out.pred_instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    assert boxes.shape[-1] == (5 if name in ('dota', 'fair1m') else 4)
    assert len(boxes) > 0


@pytest.mark.parametrize('name', ['dior', 'sar', 'dota', 'fair1m'])
def test_mmdet_det_inferencer(name, tmp_path):
    """mmdet's DetInferencer on a shipped config, from a file and an array,
    with its prediction JSON and visualisation written."""
    import json

    import cv2
    import torch
    from mmdet.apis import DetInferencer
    from mmengine.config import Config
    scope = 'mmdet'
    if name in ('dota', 'fair1m'):
        pytest.importorskip('mmrotate')
        scope = 'mmrotate'
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    shrink_model(cfg.model)
    img = np.ascontiguousarray(smooth_scene(128, 160, 3, np.uint8)[..., ::-1])
    if name == 'sar':  # a 1-channel model: an [H, W] image
        img = np.ascontiguousarray(img[..., 0])
    path = tmp_path / 'img.png'
    cv2.imwrite(str(path), img)
    inf = DetInferencer(model=cfg, weights=None, device='cpu', scope=scope,
                        show_progress=False)
    out_dir = tmp_path / 'out'
    res = inf(str(path), out_dir=str(out_dir), no_save_pred=False,
              pred_score_thr=0.)
    pred = res['predictions'][0]
    assert len(pred['bboxes']) == len(pred['scores']) > 0
    assert all(len(b) == (5 if scope == 'mmrotate' else 4)
               for b in pred['bboxes'])
    saved = json.loads((out_dir / 'preds' / 'img.json').read_text())
    assert saved['scores'] == pytest.approx(pred['scores'])
    assert cv2.imread(str(out_dir / 'vis' / 'img.png')).shape[:2] == \
        img.shape[:2]
    # an array gives the same predictions as the file it was written to
    again = inf(img, return_datasamples=True)['predictions'][0]
    boxes = again.pred_instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    np.testing.assert_allclose(boxes.numpy(), np.array(pred['bboxes']),
                               rtol=1e-4, atol=1e-3)


WHU_CFG = 'configs/upernet/upernet_rsvheat-b_8xb2-40k_whu-opt-sar-512x512.py'


def _multi_image_sample(task, root):
    """Files of one sample of each multi-image config, and the same sample
    as arrays (the band order and dtype the files give)."""
    import cv2
    from scene_helpers import write_tif
    h, w = 64, 80
    if task == 'cd':
        a = smooth_scene(h, w, 3, np.uint8, seed=1)
        b = smooth_scene(h, w, 3, np.uint8, seed=2)
        for name, img in (('a.png', a), ('b.png', b)):
            cv2.imwrite(str(root / name), img[..., ::-1])  # RGB on disk
        return (str(root / 'a.png'), str(root / 'b.png')), (a, b)
    if task == 'polsar':
        bands = [smooth_scene(h, w, 1, np.uint16, seed=s, scale=30000.)
                 for s in range(4)]
        paths = [str(write_tif(root / f'p_{pol}.tiff', band))
                 for pol, band in zip(('HH', 'HV', 'VH', 'VV'), bands)]
        return paths, bands  # one image: the band files, stacked
    opt = smooth_scene(h, w, 4, np.uint16, seed=3, scale=4000.)
    sar = smooth_scene(h, w, 1, np.uint8, seed=4)
    # the config keeps optical bands 0-2 of files and arrays alike
    return ((str(write_tif(root / 'opt.tif', opt)),
             str(write_tif(root / 'sar.tif', sar))), (opt, sar))


@pytest.mark.parametrize('task', ['cd', 'polsar', 'whu'])
def test_multi_image_configs_with_mmseg_apis(task, tmp_path):
    """Change detection, PolSAR and optical + SAR: mmseg's init_model +
    inference_model as they are, and MultiImageSegInferencer (mmseg's
    inferencer for these configs): same logits from files and from arrays,
    predictions and pictures written."""
    import cv2
    import torch
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    from scene_helpers import CD_CFG, POLSAR_CFG, save_checkpoint
    from rsvheat_mm.apis import MultiImageSegInferencer
    path = dict(cd=CD_CFG, polsar=POLSAR_CFG, whu=WHU_CFG)[task]
    torch.manual_seed(0)
    files, arrays = _multi_image_sample(task, tmp_path)
    model = init_model(tiny_seg_cfg(path), None, device='cpu')
    out = inference_model(model, [files])[0]
    assert tuple(out.pred_sem_seg.shape) == (64, 80)
    n_cls = model.decode_head.out_channels
    assert out.seg_logits.data.shape == (n_cls, 64, 80)
    from_arrays = inference_model(model, [arrays])[0]
    torch.testing.assert_close(from_arrays.seg_logits.data,
                               out.seg_logits.data, rtol=1e-5, atol=1e-5)

    # mmseg's own inferencer refuses these configs; ours takes them
    with pytest.raises(ValueError, match='LoadImageFromFile'):
        MMSegInferencer(model=tiny_seg_cfg(path), weights=None, device='cpu')
    classes = [f'c{i}' for i in range(n_cls)]
    palette = [[40 * i % 256, 90 * i % 256, 160] for i in range(n_cls)]
    ckpt = save_checkpoint(model, tmp_path / 'm.pth',
                           dict(classes=classes, palette=palette))
    inf = MultiImageSegInferencer(model=tiny_seg_cfg(path),
                                  weights=str(ckpt), device='cpu')
    res = inf(files, return_datasamples=True)
    torch.testing.assert_close(res.seg_logits.data, out.seg_logits.data,
                               rtol=1e-5, atol=1e-5)
    out_dir = tmp_path / 'out'
    res = inf([files, arrays], out_dir=str(out_dir), return_vis=True)
    assert len(res['predictions']) == 2
    np.testing.assert_array_equal(res['predictions'][0],
                                  out.pred_sem_seg.data[0].numpy())
    np.testing.assert_array_equal(res['predictions'][1],
                                  res['predictions'][0])
    saved = cv2.imread(str(out_dir / 'pred' / '00000000_pred.png'),
                       cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(saved, res['predictions'][0])
    vis = sorted(p.name for p in (out_dir / 'vis').iterdir())
    assert vis == sorted([Path(files[0]).name, '00000001_vis.jpg']), vis
    assert res['visualization'][0].shape == (64, 80, 3)
    # a sample with the wrong number of images names what it expects
    if task != 'polsar':
        with pytest.raises(ValueError, match='tuple of 2 images'):
            inf((files[0], ))


def test_multi_image_inferencer_refuses_single_image_configs():
    from rsvheat_mm.apis import MultiImageSegInferencer
    with pytest.raises(ValueError, match='MMSegInferencer'):
        MultiImageSegInferencer(model=tiny_seg_cfg(), weights=None,
                                device='cpu')


CLS_CFG = 'configs/classification/rsvheat-tiny16_linear_1xb16-200it_aid-tr20-64.py'


def test_mmpretrain_inferencer_and_get_model(tmp_path):
    """mmpretrain's ImageClassificationInferencer on the AID classification
    config (tiny) and on a get_model() model, from a file and an array,
    with the checkpoint's class names."""
    import cv2
    import torch
    pytest.importorskip('mmpretrain')
    from mmengine.config import Config
    from mmpretrain.apis import (ImageClassificationInferencer, get_model,
                                 inference_model)
    from scene_helpers import save_checkpoint
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / CLS_CFG))
    model = get_model(cfg, pretrained=False, device='cpu')
    n = model.head.num_classes
    classes = [f'scene{i}' for i in range(n)]
    ckpt = save_checkpoint(model, tmp_path / 'cls.pth', dict(classes=classes))
    img = np.ascontiguousarray(smooth_scene(96, 120, 3, np.uint8)[..., ::-1])
    path = tmp_path / 'tile.png'
    cv2.imwrite(str(path), img)
    inf = ImageClassificationInferencer(Config.fromfile(str(REPO / CLS_CFG)),
                                        pretrained=str(ckpt), device='cpu')
    res = inf(str(path))[0]
    assert len(res['pred_scores']) == n
    assert res['pred_scores'].sum() == pytest.approx(1., abs=1e-4)
    assert res['pred_class'] == classes[res['pred_label']]
    again = inf(img)[0]  # an array gives the file's scores
    np.testing.assert_allclose(again['pred_scores'], res['pred_scores'],
                               rtol=1e-5, atol=1e-6)
    # get_model + the inferencer on the built model (mmpretrain's
    # inference_model() resolves only model-zoo names, for any config)
    direct = get_model(Config.fromfile(str(REPO / CLS_CFG)),
                       pretrained=str(ckpt), device='cpu')
    with pytest.raises(NotImplementedError):
        inference_model(direct, str(path))
    out = ImageClassificationInferencer(direct, pretrained=False)(
        str(path))[0]
    assert out['pred_label'] == res['pred_label']
    np.testing.assert_allclose(out['pred_scores'], res['pred_scores'],
                               rtol=1e-5, atol=1e-6)
