"""A short pretraining run on the real tiles (optical + synthetic SAR pairs)
lowers the loss, and its checkpoint loads into a detector and a segmentor."""
import copy
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('mmpretrain')
from mmengine.config import Config, ConfigDict  # noqa: E402

from rsvheat_mm.models.selfsup.extract_backbone import extract_backbone  # noqa: E402

CFG = ('configs/rsvheat_pretrain/'
       'rsvheat-pretrain_rsvheat-tiny16_1xb4-coslr-40iter_shared-tiles-64.py')
TINY = dict(embed_dims=16, depths=[1, 1, 1, 1])


def _synthetic_sar(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """SAR-like 1-band uint16 intensity: brightness^2 times gamma speckle."""
    gray = rgb.astype(np.float64).mean(-1) / 255.
    speckle = rng.gamma(4.0, 0.25, gray.shape)  # 4-look, unit mean
    return np.clip((gray**2 + 0.02) * speckle * 20000, 0, 65535).astype(
        np.uint16)


@pytest.fixture(scope='module')
def pretrain_run(tmp_path_factory, shared_data, repo_root):
    """Run the tiny config plus paired optical/SAR data, shortened for CI
    (20 iterations of 32 x 32 crops instead of 40 of 64 x 64)."""
    from mmengine.runner import Runner
    tmp = tmp_path_factory.mktemp('pretrain')
    rng = np.random.default_rng(0)
    lines = []
    for i, src in enumerate(sorted((shared_data / 'levir_cd' / 'A')
                                   .glob('*.png'))):
        img = cv2.imread(str(src))
        for j, (y, x) in enumerate([(0, 0), (96, 128)]):
            patch = cv2.resize(img[y:y + 128, x:x + 128], (32, 32),
                               interpolation=cv2.INTER_AREA)
            name = f'{i}_{j}.png'
            (tmp / 'opt').mkdir(exist_ok=True)
            (tmp / 'sar').mkdir(exist_ok=True)
            cv2.imwrite(str(tmp / 'opt' / name), patch)
            cv2.imwrite(str(tmp / 'sar' / name),
                        _synthetic_sar(patch[..., ::-1], rng))
            lines.append(f'opt/{name} sar/{name}')
    (tmp / 'pairs.txt').write_text('\n'.join(lines) + '\n')

    cfg = Config.fromfile(str(repo_root / CFG))
    cfg.work_dir = str(tmp / 'work')
    root = str(shared_data) + '/'
    for d in cfg.train_dataloader.dataset.datasets:
        d.data_root = root
        d.pipeline[1].scale = 32
    pipeline = copy.deepcopy(cfg.train_dataloader.dataset.datasets[0]
                             .pipeline)
    cfg.train_dataloader.dataset.datasets.append(
        dict(type='OptSarPairDataset', data_root=str(tmp),
             ann_file='pairs.txt', pipeline=pipeline))
    cfg.default_hooks.logger.interval = 1
    cfg.train_cfg.max_iters = 20
    cfg.default_hooks.checkpoint.interval = 20
    runner = Runner.from_cfg(cfg)
    model = runner.model

    # fixed batch, fixed masks: the loss before and after training
    loader = runner.build_dataloader(dict(
        batch_size=8, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='multimodal_collate'),
        dataset=dict(type='OptSarPairDataset', data_root=str(tmp),
                     ann_file='pairs.txt',
                     pipeline=[pipeline[0], pipeline[-1]])))
    batch = next(iter(loader))

    def fixed_loss():
        model.masking._generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            data = model.data_preprocessor(copy.deepcopy(batch), True)
            losses = model.loss(data['inputs'], data['data_samples'])
        model.masking._generator = None
        return {k: float(v) for k, v in losses.items()}

    before = fixed_loss()
    runner.train()
    after = fixed_loss()
    history = runner.message_hub.get_scalar('train/loss').data[0]
    ckpt = Path(cfg.work_dir) / 'weights_iter_20.pth'
    assert (Path(cfg.work_dir) / 'iter_20.pth').is_file()
    return dict(before=before, after=after, history=history, ckpt=ckpt,
                model=model, tmp=tmp)


@pytest.mark.slow
def test_pretraining_lowers_loss(pretrain_run):
    before, after = pretrain_run['before'], pretrain_run['after']
    total_b = sum(v for k, v in before.items() if k.startswith('loss'))
    total_a = sum(v for k, v in after.items() if k.startswith('loss'))
    assert {'loss_spa', 'loss_fre', 'loss_con', 'spa_opt', 'spa_sar'} <= \
        set(before)
    assert total_a < total_b, (before, after)
    assert after['loss_spa'] < before['loss_spa']
    hist = np.asarray(pretrain_run['history'])
    assert len(hist) == 20 and np.isfinite(hist).all()
    assert hist[-5:].mean() < hist[:5].mean()
    assert pretrain_run['ckpt'].is_file()


def _ckpt_backbone(ckpt):
    sd = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
    return {k[len('backbone.'):]: v for k, v in sd.items()
            if k.startswith('backbone.')}, sd


def _check_loaded(backbone, enc):
    own = backbone.state_dict()
    missing = [k for k in own if k not in enc]
    assert missing == [], missing  # no missing encoder keys
    for k, v in own.items():
        assert torch.equal(v, enc[k]), k


def _tiny_backbone(ckpt):
    return dict(type='rsvheat_mm.RSvHeat', arch=TINY, in_channels=3,
                img_size=64, out_indices=(0, 1, 2, 3),
                init_cfg=dict(type='Pretrained', checkpoint=str(ckpt),
                              prefix='backbone.'))


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _init_with_log(model):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    handler = _Capture()
    logger.addHandler(handler)
    try:
        model.init_weights()
    finally:
        logger.removeHandler(handler)
    return '\n'.join(handler.messages)


@pytest.mark.slow
def test_checkpoint_loads_into_detector(pretrain_run):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    ckpt = pretrain_run['ckpt']
    enc, full = _ckpt_backbone(ckpt)
    assert any(k.startswith('neck.') for k in full)
    assert any(k.startswith('contrastive_head.') for k in full)
    cfg = dict(
        type='FasterRCNN',
        data_preprocessor=dict(type='DetDataPreprocessor', bgr_to_rgb=True,
                               pad_size_divisor=32),
        backbone=_tiny_backbone(ckpt),
        neck=dict(type='FPN', in_channels=[16, 32, 64, 128],
                  out_channels=16, num_outs=5),
        rpn_head=dict(
            type='RPNHead', in_channels=16, feat_channels=16,
            anchor_generator=dict(type='AnchorGenerator', scales=[8],
                                  ratios=[0.5, 1.0, 2.0],
                                  strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                            target_means=[.0, .0, .0, .0],
                            target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True),
            loss_bbox=dict(type='L1Loss')),
        roi_head=dict(
            type='StandardRoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7,
                               sampling_ratio=0),
                out_channels=16, featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='Shared2FCBBoxHead', in_channels=16, fc_out_channels=32,
                roi_feat_size=7, num_classes=20,
                bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                                target_means=[0., 0., 0., 0.],
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(type='CrossEntropyLoss'),
                loss_bbox=dict(type='L1Loss'))),
        train_cfg=None,
        test_cfg=dict(
            rpn=dict(nms_pre=100, max_per_img=100, min_bbox_size=0,
                     nms=dict(type='nms', iou_threshold=0.7)),
            rcnn=dict(score_thr=0.05, max_per_img=10,
                      nms=dict(type='nms', iou_threshold=0.5))))
    det = MODELS.build(ConfigDict(cfg))
    log = _init_with_log(det)
    _check_loaded(det.backbone, enc)
    # decoder / head keys dropped with a message, not silently
    assert 'dropped' in log and 'neck' in log, log
    feats = det.extract_feat(torch.randn(1, 3, 64, 64))
    assert len(feats) == 5


@pytest.mark.slow
def test_checkpoint_loads_into_segmentor(pretrain_run, tmp_path):
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    register_all_modules()
    ckpt = pretrain_run['ckpt']
    enc, _ = _ckpt_backbone(ckpt)
    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', bgr_to_rgb=True,
                               size_divisor=32),
        backbone=_tiny_backbone(ckpt),
        decode_head=dict(type='FCNHead', in_channels=128, in_index=3,
                         channels=16, num_convs=1, num_classes=3,
                         norm_cfg=dict(type='BN', requires_grad=True)))
    seg = MODELS.build(ConfigDict(cfg))
    log = _init_with_log(seg)
    _check_loaded(seg.backbone, enc)
    assert 'dropped' in log, log
    out = seg(torch.randn(1, 3, 64, 64), mode='tensor')
    assert out.shape[:2] == (1, 3)
    # the documented equivalent: a plain encoder state dict
    plain = tmp_path / 'encoder.pth'
    sd, dropped = extract_backbone(ckpt, plain)
    assert dropped and all(not k.startswith('backbone.') for k in dropped)
    cfg['backbone']['init_cfg'] = dict(type='Pretrained',
                                       checkpoint=str(plain))
    seg2 = MODELS.build(ConfigDict(cfg))
    seg2.init_weights()
    _check_loaded(seg2.backbone, torch.load(plain, weights_only=True))


@pytest.mark.slow
def test_reconstruct_and_tensor_mode(pretrain_run):
    model = pretrain_run['model']
    x = {'opt': torch.randn(2, 3, 64, 48), 'sar': torch.randn(1, 1, 32, 32)}
    rec = model.reconstruct(x)
    assert rec['opt'][1].shape == (2, 3, 64, 48)
    assert rec['sar'][1].shape == (1, 1, 32, 32)
    feats = model(x, mode='tensor')
    assert feats['sar'][-1].shape == (1, 128, 1, 1)
    with pytest.raises(ValueError, match='stem takes 3 channels'):
        model.backbone(torch.randn(1, 1, 64, 64), modality='opt')


@pytest.mark.slow
def test_visualize_masking_tool(pretrain_run, repo_root, shared_data):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'visualize_masking', repo_root / 'tools/visualize_masking.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tmp = pretrain_run['tmp']
    opt = str(shared_data / 'dior' / 'JPEGImages' / '00001.jpg')
    sar = str(tmp / 'sar' / '0_0.png')
    out = tool.main([opt, sar, '--config', str(repo_root / CFG),
                     '--checkpoint', str(pretrain_run['ckpt']),
                     '--size', '32', '--out-dir', str(tmp / 'vis')])
    assert [Path(p).name for p in out] == ['00001_masking.png',
                                           '0_0_masking.png']
    for p in out:
        img = cv2.imread(p)
        # 7 panels: input, 3 views, reconstruction, error, spectrum
        assert img is not None and img.shape[1] > 5 * img.shape[0]
    # masks only, paper defaults
    out = tool.main([sar, '--size', '32', '--out-dir', str(tmp / 'vis2')])
    img = cv2.imread(out[0])
    assert img is not None and img.shape[1] > 3 * img.shape[0]
