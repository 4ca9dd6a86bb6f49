"""Siamese change-detection segmentor."""
import pytest
import torch
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

import rsvheat_mm  # noqa: F401
from rsvheat_mm.models.necks import PyramidFusionNeck

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py

TINY = dict(embed_dims=8, depths=[1, 1, 1, 1])


def tiny_cd(policy='abs_diff', test_cfg=None):
    chans = PyramidFusionNeck.out_channels([8, 16, 32, 64], policy)
    return MODELS.build(dict(
        type='SiameseEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.] * 6,
                               std=[1.] * 6, bgr_to_rgb=False),
        backbone=dict(type='RSvHeat', arch=TINY, in_channels=3,
                      drop_path_rate=0.),
        fusion_neck=dict(type='PyramidFusionNeck', policy=policy),
        decode_head=dict(type='UPerHead', in_channels=chans,
                         in_index=[0, 1, 2, 3], pool_scales=(1, 2),
                         channels=8, num_classes=2,
                         norm_cfg=dict(type='BN'), align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss')),
        test_cfg=test_cfg or dict(mode='whole')))


def _samples(n, h, w):
    out = []
    for _ in range(n):
        s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                        pad_shape=(h, w)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, h, w)))
        out.append(s)
    return out


def test_shared_backbone_sees_both_dates_in_one_batch():
    torch.manual_seed(0)
    model = tiny_cd().eval()
    seen = []
    model.backbone.stems['opt'].register_forward_hook(
        lambda m, i, o: seen.append(i[0].detach().clone()))
    x = torch.rand(2, 6, 64, 64)
    with torch.no_grad():
        model(x, mode='tensor')
    assert len(seen) == 1  # one backbone pass for both dates
    torch.testing.assert_close(seen[0], torch.cat([x[:, :3], x[:, 3:]], 0))
    assert not any(n.startswith('backbone2') for n, _ in
                   model.named_modules())


def test_abs_diff_is_symmetric_in_time():
    torch.manual_seed(0)
    model = tiny_cd().eval()
    x = torch.rand(1, 6, 64, 64)
    swapped = torch.cat([x[:, 3:], x[:, :3]], 1)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'),
                                   model(swapped, mode='tensor'))


def test_loss_backward_and_predict():
    torch.manual_seed(0)
    model = tiny_cd(policy='concat')
    x = torch.rand(2, 6, 64, 64) * 255
    losses = model(x, _samples(2, 64, 64), mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    assert torch.isfinite(loss)
    stem_grad = model.backbone.stems['opt'].conv1.weight.grad
    assert stem_grad is not None and stem_grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model(x, _samples(2, 64, 64), mode='predict')
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)
    assert set(preds[0].pred_sem_seg.data.unique().tolist()) <= {0, 1}


def test_slide_inference_on_larger_scene():
    torch.manual_seed(0)
    model = tiny_cd(test_cfg=dict(mode='slide', crop_size=(64, 64),
                                  stride=(48, 48))).eval()
    calls = []
    model.backbone.register_forward_hook(lambda m, i, o: calls.append(1))
    x = torch.rand(1, 6, 112, 96)
    with torch.no_grad():
        preds = model(x, _samples(1, 112, 96), mode='predict')
    assert preds[0].pred_sem_seg.data.shape == (1, 112, 96)
    assert len(calls) == 2 * 2  # 2 window rows x 2 window columns


def test_bad_channel_count_is_explained():
    model = tiny_cd().eval()
    with pytest.raises(ValueError, match='two dates of equal channels'):
        model(torch.rand(1, 5, 64, 64), mode='tensor')
