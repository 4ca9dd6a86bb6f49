"""Each toolbox's own stock config with RSvHeat swapped in: loss, backward,
predict. The models are shrunk (tiny RSvHeat, narrow necks) for the CPU."""
import copy

import pytest
import torch
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

import rsvheat_mm  # noqa: F401
from rsvheat_mm.models.backbones import RSvHeat

TINY = dict(embed_dims=8, depths=[1, 1, 1, 1])
CH = [8, 16, 32, 64]


def backbone_cfg(**kw):
    return dict(type='RSvHeat', arch=TINY, img_size=64, **kw)


def loss_backward_predict(model, data, mode_check):
    model.train()
    batch = model.data_preprocessor(copy.deepcopy(data), True)
    losses = model(**batch, mode='loss')
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(
        x.sum() for x in v) for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    model.eval()
    with torch.no_grad():
        batch = model.data_preprocessor(copy.deepcopy(data), False)
        preds = model(**batch, mode='predict')
    assert len(preds) == len(data['inputs'])
    assert mode_check(preds[0])


def test_mmdet_faster_rcnn():
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    cfg = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    cfg.model.backbone = backbone_cfg()
    cfg.model.neck.in_channels = CH
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    assert isinstance(model.backbone, RSvHeat)
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(96, 128), ori_shape=(96, 128),
                                        pad_shape=(96, 128), scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[10., 12., 60., 70.], [70., 20., 120., 90.]]),
            labels=torch.tensor([1, 5]))
        samples.append(s)
    data = dict(inputs=[torch.randint(0, 255, (3, 96, 128), dtype=torch.uint8)
                        for _ in range(2)], data_samples=samples)
    loss_backward_predict(model, data, lambda p: p.pred_instances.bboxes.ndim == 2)


def test_mmseg_upernet():
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    cfg = get_config(
        'mmseg::upernet/upernet_r50_4xb2-40k_cityscapes-512x1024.py')
    cfg.model.backbone = backbone_cfg()
    cfg.model.pretrained = None  # the stock ResNet weights
    cfg.model.decode_head.in_channels = CH
    cfg.model.decode_head.channels = 16
    cfg.model.auxiliary_head.in_channels = CH[2]
    cfg.model.auxiliary_head.channels = 16
    for head in (cfg.model.decode_head, cfg.model.auxiliary_head):
        head.norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.data_preprocessor.size = (64, 96)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 96), ori_shape=(64, 96),
                                        pad_shape=(64, 96)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, 64, 96)))
        samples.append(s)
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 96), dtype=torch.uint8)
                        for _ in range(2)], data_samples=samples)
    loss_backward_predict(
        model, data, lambda p: tuple(p.pred_sem_seg.data.shape) == (1, 64, 96))


def test_mmrotate_oriented_rcnn():
    from mmrotate.registry import MODELS
    from mmrotate.structures.bbox import RotatedBoxes
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = get_config(
        'mmrotate::oriented_rcnn/oriented-rcnn-le90_r50_fpn_1x_dota.py')
    cfg.model.backbone = backbone_cfg()
    cfg.model.neck.in_channels = CH
    with DefaultScope.overwrite_default_scope('mmrotate'):
        model = MODELS.build(cfg.model)
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128),
                                        pad_shape=(128, 128), scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(
            bboxes=RotatedBoxes(torch.tensor([[40., 40., 30., 12., 0.3],
                                              [90., 80., 40., 20., -0.6]])),
            labels=torch.tensor([0, 3]))
        samples.append(s)
    data = dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)
                        for _ in range(2)], data_samples=samples)
    loss_backward_predict(
        model, data, lambda p: p.pred_instances.bboxes.shape[-1] == 5)


def test_mmpretrain_image_classifier():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = get_config('mmpretrain::resnet/resnet50_8xb32_in1k.py')
    cfg.model.backbone = backbone_cfg(out_indices=(3, ))
    cfg.model.head.in_channels = CH[3]
    cfg.model.head.num_classes = 7
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                        for _ in range(3)],
                data_samples=[DataSample().set_gt_label(i) for i in range(3)])
    loss_backward_predict(model, data,
                          lambda p: p.pred_score.shape == (7, ))
