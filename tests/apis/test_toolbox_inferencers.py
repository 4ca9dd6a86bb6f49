"""The toolboxes' own single-image APIs with this plugin's task configs
(tiny models). Configs whose test pipeline loads several images
(``LoadMultiImageFromFiles``: change detection, PolSAR, optical + SAR) and
DetInferencer with the scoped ``mmdet.LoadImageFromFile`` of the shipped
detection configs do not work with the toolboxes' inferencers yet; use
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
