"""The toolboxes' own single-image APIs with this plugin's task configs
(tiny models): mmseg's init_model / inference_model / MMSegInferencer,
mmdet's init_detector / inference_detector / DetInferencer (DIOR and the
mmrotate-based DOTA config). Configs whose test pipeline loads several images
(``LoadMultiImageFromFiles``: change detection, PolSAR, optical + SAR) do not
work with the toolboxes' inferencers; use
``rsvheat_mm.apis.build_scene_inferencer`` for those."""
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


@pytest.mark.parametrize('name', ['dior', 'dota'])
def test_mmdet_init_detector_inference_detector(name):
    import torch
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    if name == 'dota':
        pytest.importorskip('mmrotate')
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    shrink_model(cfg.model)
    model = init_detector(cfg, None, device='cpu')
    img = smooth_scene(128, 160, 3, np.uint8)[..., ::-1].copy()
    out = inference_detector(model, img)
    boxes = out.pred_instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    assert boxes.shape[-1] == (5 if name == 'dota' else 4)
    assert len(boxes) > 0


@pytest.mark.parametrize('name', ['dior', 'dota'])
def test_mmdet_det_inferencer(name, tmp_path):
    """mmdet's DetInferencer on a shipped config, from a file and an array,
    with its prediction JSON and visualisation written."""
    import json

    import cv2
    import torch
    from mmdet.apis import DetInferencer
    from mmengine.config import Config
    scope = 'mmdet'
    if name == 'dota':
        pytest.importorskip('mmrotate')
        scope = 'mmrotate'
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    shrink_model(cfg.model)
    img = np.ascontiguousarray(smooth_scene(128, 160, 3, np.uint8)[..., ::-1])
    path = tmp_path / 'img.png'
    cv2.imwrite(str(path), img)
    inf = DetInferencer(model=cfg, weights=None, device='cpu', scope=scope,
                        show_progress=False)
    out_dir = tmp_path / 'out'
    res = inf(str(path), out_dir=str(out_dir), no_save_pred=False,
              pred_score_thr=0.)
    pred = res['predictions'][0]
    assert len(pred['bboxes']) == len(pred['scores']) > 0
    assert all(len(b) == (5 if name == 'dota' else 4)
               for b in pred['bboxes'])
    saved = json.loads((out_dir / 'preds' / 'img.json').read_text())
    assert saved['scores'] == pytest.approx(pred['scores'])
    assert cv2.imread(str(out_dir / 'vis' / 'img.png')).shape == img.shape
    # an array gives the same predictions as the file it was written to
    again = inf(img, return_datasamples=True)['predictions'][0]
    boxes = again.pred_instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    np.testing.assert_allclose(boxes.numpy(), np.array(pred['bboxes']),
                               rtol=1e-4, atol=1e-3)
