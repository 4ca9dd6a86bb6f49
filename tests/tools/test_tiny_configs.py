"""Each task's quick-run variant (``*_rsvheat-tiny16_*``) trains through
tools/train.py on stand-in data in the dataset's own layout (generated, or
the shared real tiles), with the variant's model and pipeline; only the
data root and the number of iterations are overridden here."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from tool_helpers import REPO

sys.path.insert(0, str(REPO / 'tools'))
import train as train_tool  # noqa: E402

C = REPO / 'configs'
VARIANTS = {
    'seg': C / 'upernet' / 'upernet_rsvheat-tiny16_1xb4-200it_potsdam-128x128.py',
    'cd': C / 'changedet' /
    'siamese-upernet_rsvheat-tiny16_1xb4-200it_levir-cd-128x128.py',
    'det': C / 'faster_rcnn' /
    'faster-rcnn_rsvheat-tiny16_fpn_1xb2-200it_dior-256.py',
    'rot': C / 'oriented_rcnn' /
    'oriented-rcnn-le90_rsvheat-tiny16_fpn_1xb2-200it_dota-256.py',
    'cls': C / 'classification' /
    'rsvheat-tiny16_linear_1xb16-200it_aid-tr20-64.py',
}
#: the full config each variant shrinks
FULL = {
    'seg': 'upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py',
    'cd': 'siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py',
    'det': 'faster-rcnn_rsvheat-b_fpn_1x_dior.py',
    'rot': 'oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py',
    'cls': 'rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py',
}


def _rng_png(path: Path, shape, high=255, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.random.default_rng(seed).integers(0, high + 1, shape, np.uint8)
    Image.fromarray(arr).save(path)


def potsdam_like(root: Path, size=512, n=(3, 2)) -> dict:
    """mmseg's converted Potsdam layout: img_dir / ann_dir, labels 0-6."""
    for split, count in zip(('train', 'val'), n):
        for i in range(count):
            _rng_png(root / 'img_dir' / split / f'{i}.png', (size, size, 3),
                     seed=i)
            _rng_png(root / 'ann_dir' / split / f'{i}.png', (size, size), 6,
                     seed=100 + i)
    return {'train_dataloader.dataset.data_root': str(root),
            'val_dataloader.dataset.data_root': str(root),
            'test_dataloader.dataset.data_root': str(root)}


def levir_like(root: Path, size=256, n=(3, 2)) -> dict:
    """LEVIR-CD layout: {train,val,test}/{A,B,label}, labels 0 / 255."""
    for split, count in zip(('train', 'val', 'test'), n + (n[1], )):
        for i in range(count):
            _rng_png(root / split / 'A' / f'{i}.png', (size, size, 3), seed=i)
            _rng_png(root / split / 'B' / f'{i}.png', (size, size, 3),
                     seed=50 + i)
            lab = (np.random.default_rng(i).random((size, size)) > 0.9)
            (root / split / 'label').mkdir(parents=True, exist_ok=True)
            Image.fromarray(lab.astype(np.uint8) * 255).save(
                root / split / 'label' / f'{i}.png')
    return {f'{k}_dataloader.dataset.data_root': str(root)
            for k in ('train', 'val', 'test')}


def aid_like(root: Path, size=72, per_class=2) -> dict:
    """AID's class folders; '' as the list scans them."""
    from rsvheat_mm.datasets.scene_cls import AID_CLASSES
    for c, name in enumerate(AID_CLASSES):
        for i in range(per_class):
            _rng_png(root / name / f'{name}_{i}.jpg', (size, size, 3),
                     seed=c * 10 + i)
    opts = {}
    for k in ('train', 'val', 'test'):
        opts[f'{k}_dataloader.dataset.data_root'] = str(root)
        opts[f'{k}_dataloader.dataset.ann_file'] = ''
    return opts


def dior_shared(shared: Path) -> dict:
    d = dict(data_root=str(shared / 'dior'), ann_file='',
             data_prefix=dict(img_path='JPEGImages',
                              ann_path='Annotations/Oriented Bounding Boxes'))
    return {f'{k}_dataloader.dataset.{a}': v for k in ('train', 'val')
            for a, v in d.items()}


def dota_shared(shared: Path, cfg: Config) -> dict:
    # the shared tile is a 170 px thumbnail of a 1024 px tile: bring it to
    # its labels' frame first, then the variant's own pipeline
    frame = dict(type='ResizeToAnnotationFrame', frame_size=1024)
    opts = {}
    for k in ('train', 'val'):
        pipe = list(cfg[f'{k}_dataloader'].dataset.pipeline)
        opts[f'{k}_dataloader.dataset.pipeline'] = pipe[:1] + [frame] + \
            pipe[1:]
        opts[f'{k}_dataloader.dataset.data_root'] = str(shared / 'dota')
        opts[f'{k}_dataloader.dataset.ann_file'] = 'labelTxt/'
        opts[f'{k}_dataloader.dataset.data_prefix'] = dict(
            img_path='images/')
    return opts


def quick(iters=2) -> dict:
    opts = {'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
            'default_hooks.checkpoint.interval': iters,
            'default_hooks.logger.interval': 1}
    for k in ('train', 'val', 'test'):
        opts[f'{k}_dataloader.num_workers'] = 0
        opts[f'{k}_dataloader.persistent_workers'] = False
    return opts


def _data(kind, tmp_path, cfg, request):
    if kind == 'seg':
        return potsdam_like(tmp_path / 'potsdam')
    if kind == 'cd':
        return levir_like(tmp_path / 'levir')
    if kind == 'cls':
        return aid_like(tmp_path / 'aid')
    pytest.importorskip('mmrotate' if kind == 'rot' else 'mmdet')
    shared = request.getfixturevalue('shared_data')
    return dior_shared(shared) if kind == 'det' else dota_shared(shared, cfg)


def _params(cfg: Config, scope: str) -> int:
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(scope):
        with MODELS.switch_scope_and_registry(scope) as reg:
            return sum(p.numel() for p in reg.build(cfg.model).parameters())


@pytest.mark.parametrize('kind', sorted(VARIANTS))
def test_quick_variant_trains(kind, tmp_path, request):
    path = VARIANTS[kind]
    assert path.is_file(), path
    cfg = Config.fromfile(str(path))
    full = Config.fromfile(str(path.parent / FULL[kind]))
    # a small model of the same task on the same dataset type
    assert cfg.model.type == full.model.type
    assert cfg.val_dataloader.dataset.type == \
        full.val_dataloader.dataset.type
    assert cfg.train_cfg.max_iters == 200
    assert _params(cfg, cfg.default_scope) < 0.05 * _params(
        full, full.default_scope)
    cfg.merge_from_dict(dict(_data(kind, tmp_path, cfg, request), **quick()))
    run_cfg = tmp_path / path.name
    cfg.dump(str(run_cfg))
    train_tool.main([str(run_cfg), '--work-dir', str(tmp_path / 'w')])
    ckpt = torch.load(tmp_path / 'w' / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2
