"""AID / NWPU-RESISC45 datasets and classification configs (train + eval)."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmpretrain')
from mmengine.config import Config  # noqa: E402

from rsvheat_mm.datasets.scene_cls import (AID_CLASSES,  # noqa: E402
                                           NWPU_RESISC45_CLASSES, AIDDataset,
                                           NWPURESISC45Dataset)

REPO = Path(__file__).resolve().parents[2]
CONFIGS = {
    'aid-tr20': ('rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py',
                 AID_CLASSES, 'tr20'),
    'aid-tr50': ('rsvheat-b_linear_8xb32-coslr-100e_aid-tr50-224.py',
                 AID_CLASSES, 'tr50'),
    'nwpu-tr10': ('rsvheat-b_linear_8xb32-coslr-100e_nwpu45-tr10-224.py',
                  NWPU_RESISC45_CLASSES, 'tr10'),
    'nwpu-tr20': ('rsvheat-b_linear_8xb32-coslr-100e_nwpu45-tr20-224.py',
                  NWPU_RESISC45_CLASSES, 'tr20'),
}


def _tool():
    path = REPO / 'tools/dataset_converters/make_cls_splits.py'
    spec = importlib.util.spec_from_file_location('make_cls_splits', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _class_folders(root: Path, classes, n=3, size=40):
    """Tiny images whose mean colour depends on the class."""
    rng = np.random.default_rng(0)
    for i, c in enumerate(classes):
        (root / c).mkdir(parents=True)
        for j in range(n):
            img = rng.integers(0, 40, (size, size, 3)).astype(np.uint8)
            img[..., i % 3] += np.uint8(5 * i)
            cv2.imwrite(str(root / c / f'{c}_{j}.png'), img)
    return root


def test_dataset_reads_split_and_checks_labels(tmp_path):
    root = _class_folders(tmp_path / 'AID', AID_CLASSES, n=2)
    _tool().make_splits(str(root), 'aid', str(root / 'splits'))
    ds = AIDDataset(data_root=str(root), ann_file='splits/train_tr50.txt')
    assert len(ds) == 30 and ds.metainfo['classes'] == AID_CLASSES
    info = ds.get_data_info(5)
    assert Path(info['img_path']).parent.name == AID_CLASSES[
        info['gt_label']]
    (root / 'bad.txt').write_text('Airport/Airport_0.png 30\n')
    with pytest.raises(ValueError, match=r'outside 0\.\.29'):
        AIDDataset(data_root=str(root), ann_file='bad.txt')
    nroot = _class_folders(tmp_path / 'NWPU', NWPU_RESISC45_CLASSES, n=2,
                           size=8)
    nds = NWPURESISC45Dataset(data_root=str(nroot), data_prefix='')
    assert len(nds) == 90 and len(nds.metainfo['classes']) == 45


def _tiny_cls_cfg(name, root, work_dir):
    file, classes, split = CONFIGS[name]
    cfg = Config.fromfile(str(REPO / 'configs/classification' / file))
    assert cfg.model.head.num_classes == len(classes)
    assert cfg.val_evaluator == dict(type='Accuracy', topk=(1, ))
    assert cfg.train_dataloader.dataset.ann_file == \
        f'splits/train_{split}.txt'
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.update(arch=dict(embed_dims=8, depths=[1, 1, 1, 1]),
                              img_size=32, drop_path_rate=0.0,
                              init_cfg=None)
    cfg.model.head.in_channels = 64
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[key]
        dl.update(batch_size=8, num_workers=0, persistent_workers=False)
        dl.dataset.data_root = str(root)
        for t in dl.dataset.pipeline:
            if t.type == 'RandomResizedCrop':
                t.scale = 32
            elif t.type == 'ResizeEdge':
                t.scale = 36
            elif t.type == 'CenterCrop':
                t.crop_size = 32
    cfg.train_cfg = dict(by_epoch=False, max_iters=4, val_interval=4)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=4,
                                        by_epoch=False)
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('name', ['aid-tr20', 'nwpu-tr10'])
def test_classification_config_trains_and_evaluates(tmp_path, name):
    from mmengine.runner import Runner
    classes = CONFIGS[name][1]
    dataset = 'aid' if name.startswith('aid') else 'nwpu'
    root = _class_folders(tmp_path / 'data', classes, n=3)
    _tool().make_splits(str(root), dataset, str(root / 'splits'))
    runner = Runner.from_cfg(_tiny_cls_cfg(name, root, tmp_path / 'work'))
    runner.train()
    hist = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(hist) == 4 and np.isfinite(hist).all()
    metrics = runner.val()
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
    n_val = len(runner.val_dataloader.dataset)
    assert n_val == sum(3 - min(max(round(
        (0.2 if name == 'aid-tr20' else 0.1) * 3), 1), 2)
        for _ in classes)


@pytest.mark.parametrize('name', ['aid-tr50', 'nwpu-tr20'])
def test_other_split_configs_parse(name, tmp_path):
    cfg = _tiny_cls_cfg(name, tmp_path, tmp_path / 'w')
    assert cfg.val_dataloader.dataset.ann_file.endswith(
        f'val_{CONFIGS[name][2]}.txt')
    assert cfg.val_dataloader.dataset.type == (
        'AIDDataset' if name.startswith('aid') else 'NWPURESISC45Dataset')
