"""Integration: a tiny siamese RS-vHeat overfits the real LEVIR-CD pairs.

Trains on 128x128 crops of the 4 real pairs in ``../shared/data/levir_cd``
(random window, flips and 90-degree turns, identical on A, B and label) and
predicts the whole 256x256 pairs; the
change-class F1 must reach 0.8 within the iteration budget (a few minutes on
2 CPU cores). Checked every 25 iterations from iteration 50; stops at success.
"""
import time

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmseg.registry import MODELS

import rsvheat_mm  # noqa: F401
from rsvheat_mm.datasets.levir_cd import LEVIRCDPairDataset
from rsvheat_mm.evaluation.metrics.change_metric import ChangeDetectionMetric

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py

MAX_ITERS = 400
MEAN = [123.675, 116.28, 103.53] * 2
STD = [58.395, 57.12, 57.375] * 2


def _model():
    return MODELS.build(dict(
        type='SiameseEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=MEAN,
                               std=STD, bgr_to_rgb=False, size=(128, 128)),
        backbone=dict(type='RSvHeat', arch=dict(embed_dims=16,
                                                depths=[1, 1, 1, 1]),
                      in_channels=3, drop_path_rate=0.),
        fusion_neck=dict(type='PyramidFusionNeck', policy='concat'),
        decode_head=dict(type='UPerHead', in_channels=[32, 64, 128, 256],
                         in_index=[0, 1, 2, 3], pool_scales=(1, 2),
                         channels=16, num_classes=2, dropout_ratio=0.,
                         norm_cfg=dict(type='BN'), align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss')),
        test_cfg=dict(mode='whole')))


def _f1(model, ds) -> float:
    metric = ChangeDetectionMetric()
    model.eval()
    with torch.no_grad():
        for i in range(len(ds)):
            out = model.test_step(pseudo_collate([ds[i]]))
            metric.process({}, [o.to_dict() for o in out])
    model.train()
    return metric.evaluate(len(ds))['F1'] / 100.


@pytest.mark.slow
def test_overfit_real_levir_pairs(shared_data):
    root = shared_data / 'levir_cd'
    if not (root / 'A').is_dir():
        pytest.skip(f'LEVIR-CD tiles not found in {root}')
    torch.manual_seed(0)
    np.random.seed(0)
    load = [dict(type='LoadMultiImageFromFiles'),
            dict(type='LoadMappedAnnotations')]
    train = LEVIRCDPairDataset(data_root=str(root), pipeline=load + [
        dict(type='MultiImgRandomCrop', crop_size=(128, 128)),
        dict(type='MultiImgRandomFlip', prob=0.5,
             direction=['horizontal', 'vertical']),
        dict(type='MultiImgRandomRotate90', prob=0.5),
        dict(type='PackMultiImgSegInputs')])
    test = LEVIRCDPairDataset(data_root=str(root), test_mode=True,
                              pipeline=load + [
                                  dict(type='PackMultiImgSegInputs')])
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.)
    start, f1, it = time.time(), 0., 0
    for it in range(1, MAX_ITERS + 1):
        batch = model.data_preprocessor(
            pseudo_collate([train[i] for i in range(len(train))]), True)
        losses = model(**batch, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it >= 50 and it % 25 == 0:
            f1 = _f1(model, test)
            if f1 >= 0.8:
                break
    took = time.time() - start
    print(f'LEVIR-CD overfit: F1 {f1:.3f} after {it} iterations, '
          f'{took:.0f} s')
    assert f1 >= 0.8, f'F1 {f1:.3f} after {it} iterations ({took:.0f} s)'
