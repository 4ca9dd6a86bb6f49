"""Every shipped segmentation / change-detection config builds, trains two
iterations and predicts, on synthetic data written in each dataset's layout
and a tiny RS-vHeat (the shipped model dims are replaced, nothing else)."""
import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py

REPO = Path(__file__).resolve().parents[2]
CONFIGS = {
    'potsdam': 'configs/upernet/upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py',
    'isaid': 'configs/upernet/upernet_rsvheat-b_8xb2-80k_isaid-896x896.py',
    'air_polsar_seg':
    'configs/upernet/upernet_rsvheat-b_8xb2-40k_air-polsar-seg-512x512.py',
    'whu_opt_sar':
    'configs/upernet/upernet_rsvheat-b_8xb2-40k_whu-opt-sar-512x512.py',
    'levir_cd': 'configs/changedet/'
    'siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py',
}
H, W = 80, 96  # scenes larger than the 64 crop: slide windows are used
CROP = 64


def _rng(seed):
    return np.random.default_rng(seed)


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr), path


def make_data(name: str, root: Path) -> None:
    """Two samples per split in the dataset's own layout and formats."""
    for split in ('train', 'val', 'test'):
        for k in range(2):
            r = _rng(k + 10 * len(split))
            rgb = r.integers(0, 256, (H, W, 3), dtype=np.uint8)
            stem = f'{split}_{k}'
            if name == 'potsdam':  # labels 1..6 (0 = ignored, reduced)
                _write(root / f'img_dir/{split}/{stem}.png', rgb)
                _write(root / f'ann_dir/{split}/{stem}.png',
                       r.integers(0, 7, (H, W), dtype=np.uint8))
            elif name == 'isaid':
                _write(root / f'img_dir/{split}/{stem}.png', rgb)
                _write(root / f'ann_dir/{split}/{stem}'
                       '_instance_color_RGB.png',
                       r.integers(0, 16, (H, W), dtype=np.uint8))
            elif name == 'air_polsar_seg':
                s = 'train_set' if split == 'train' else 'test_set'
                for pol in ('HH', 'HV', 'VH', 'VV'):
                    _write(root / f'{s}/{stem}_{pol}.tiff',
                           r.integers(0, 60000, (H, W), dtype=np.uint16))
                _write(root / f'{s}/{stem}_gt.png',
                       r.integers(0, 6, (H, W), dtype=np.uint8))
            elif name == 'whu_opt_sar':
                _write(root / f'{split}/optical/{stem}.tif',
                       r.integers(0, 256, (H, W, 4), dtype=np.uint8))
                _write(root / f'{split}/sar/{stem}.tif',
                       r.integers(0, 256, (H, W), dtype=np.uint8))
                _write(root / f'{split}/lbl/{stem}.tif',
                       (r.integers(0, 8, (H, W)) * 10).astype(np.uint8))
            elif name == 'levir_cd':
                _write(root / f'{split}/A/{stem}.png', rgb)
                _write(root / f'{split}/B/{stem}.png', 255 - rgb)
                _write(root / f'{split}/label/{stem}.png',
                       (r.integers(0, 2, (H, W)) * 255).astype(np.uint8))


def _shrink(node):
    """Replace crop sizes / resize scales in pipelines by the test crop."""
    if isinstance(node, dict):
        for key in ('crop_size', 'scale', 'size'):
            if key in node and isinstance(node[key], (tuple, list)):
                node[key] = (CROP, CROP)
        for v in node.values():
            _shrink(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _shrink(v)


def tiny_cfg(name: str, data_root: Path, work_dir: Path) -> Config:
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports['imports'] == ['rsvheat_mm']
    model = cfg.model
    mult = {'abs_diff': 1, 'concat': 2}[
        model.fusion_neck.policy] if 'fusion_neck' in model else 1
    model.backbone.arch = dict(embed_dims=8, depths=[1, 1, 1, 1])
    model.backbone.drop_path_rate = 0.
    model.decode_head.in_channels = [c * mult for c in (8, 16, 32, 64)]
    model.decode_head.channels = 8
    model.decode_head.pool_scales = (1, 2)
    model.auxiliary_head.in_channels = 32 * mult
    model.auxiliary_head.channels = 8
    model.test_cfg = dict(mode='slide', crop_size=(CROP, CROP),
                          stride=(48, 48))
    _shrink(cfg.train_dataloader)
    _shrink(cfg.test_dataloader)
    model.data_preprocessor.size = (CROP, CROP)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[key]
        dl.num_workers = 0
        dl.persistent_workers = False
        dl.batch_size = 2 if key == 'train_dataloader' else 1
        dl.dataset.data_root = str(data_root)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2,
                         val_interval=1000)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg.cudnn_benchmark = False
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return cfg


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_trains_two_iters_and_predicts(name, tmp_path):
    make_data(name, tmp_path / 'data')
    cfg = tiny_cfg(name, tmp_path / 'data', tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    before = copy.deepcopy(runner.model.backbone.stages[0].state_dict())
    runner.train()
    assert runner.iter == 2
    after = runner.model.backbone.stages[0].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    metrics = runner.test()
    if name == 'levir_cd':
        assert {'precision', 'recall', 'F1', 'IoU'} <= set(metrics)
    else:
        assert {'aAcc', 'mIoU'} <= set(metrics)
        if name == 'potsdam':
            assert 'mFscore' in metrics
    assert all(np.isfinite(v) for v in metrics.values())


def test_whu_opt_sar_feeds_each_modality_to_its_stem(tmp_path):
    from mmseg.registry import MODELS

    import rsvheat_mm  # noqa: F401
    make_data('whu_opt_sar', tmp_path / 'data')
    cfg = tiny_cfg('whu_opt_sar', tmp_path / 'data', tmp_path / 'work')
    assert cfg.model.backbone.in_channels == dict(opt=3, sar=1)
    model = MODELS.build(cfg.model).eval()
    seen = {}
    for key in ('opt', 'sar'):
        model.backbone.stems[key].register_forward_hook(
            lambda m, i, o, key=key: seen.__setitem__(key, i[0].clone()))
    # real pipeline -> preprocessor -> model
    from mmengine.dataset import pseudo_collate
    from mmseg.registry import DATASETS
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    batch = model.data_preprocessor(pseudo_collate([ds[0]]), False)
    x = batch['inputs']
    assert x.shape[1] == 4
    with torch.no_grad():
        model.backbone(x)
    torch.testing.assert_close(seen['opt'], x[:, :3])
    torch.testing.assert_close(seen['sar'], x[:, 3:])
    # and the channels are the optical RGB bands and the SAR band
    info = ds.get_data_info(0)
    opt = cv2.imread(info['img_path'], cv2.IMREAD_UNCHANGED)  # B,G,R,A
    sar = cv2.imread(info['sar_path'], cv2.IMREAD_UNCHANGED)
    mean = torch.tensor(cfg.model.data_preprocessor.mean).view(4, 1, 1)
    std = torch.tensor(cfg.model.data_preprocessor.std).view(4, 1, 1)
    raw = x[0] * std + mean
    np.testing.assert_allclose(raw[:3].permute(1, 2, 0).numpy(),
                               opt[..., [2, 1, 0]], atol=1e-3)
    np.testing.assert_allclose(raw[3].numpy(), sar, atol=1e-3)
