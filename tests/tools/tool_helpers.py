"""Shared helpers of the tool tests: tiny configs of each task kind and a
way to run a tool as a user does (a subprocess from a folder outside the
repository, no ``PYTHONPATH``)."""
import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'
CD_CONFIG = (REPO / 'configs' / 'changedet' /
             'siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py')


def demo_config() -> Path:
    """The demo segmentation config (synthetic tiles, no download)."""
    found = sorted((REPO / 'configs' / 'demo').glob('*.py'))
    assert found, 'no demo config under configs/demo'
    return found[0]


def write_seg_cfg(path: Path, data_root: Path, extra: str = '') -> Path:
    """A shrunk copy of the demo config: 8-channel RSvHeat, 64 px tiles, 8
    training and 2 test images, 4 iterations, a checkpoint every 2."""
    path.write_text(f"""
_base_ = [{str(demo_config())!r}]
model = dict(data_preprocessor=dict(size=(64, 64)),
             backbone=dict(arch=dict(embed_dims=8, depths=[1, 1, 1, 1]),
                           img_size=64),
             decode_head=dict(in_channels=[8, 16, 32, 64], channels=16))
_pipe = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
         dict(type='PackSegInputs')]
train_dataloader = dict(batch_size=2, dataset=dict(
    num_images=8, img_size=64, data_root={str(data_root)!r}, pipeline=_pipe))
val_dataloader = dict(batch_size=2, dataset=dict(
    num_images=2, img_size=64, data_root={str(data_root)!r}, pipeline=_pipe))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=2),
    dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=2, end=4,
         by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=3),
                     logger=dict(interval=1))
randomness = dict(seed=0, deterministic=True)
{extra}
""")
    return path


def write_cd_cfg(path: Path, data_root: Path) -> Path:
    """The LEVIR-CD config shrunk (8-channel siamese RSvHeat, whole-image
    test) and pointed at ``data_root/{A,B,label}``."""
    root = repr(str(data_root))
    loader = ("batch_size=1, num_workers=0, persistent_workers=False, "
              f"dataset=dict(data_root={root}, data_prefix=dict("
              "img_path='A', img_path2='B', seg_map_path='label'))")
    path.write_text(f"""
_base_ = [{str(CD_CONFIG)!r}]
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims=8,
                                     depths=[1, 1, 1, 1]),
                           img_size=64),
             decode_head=dict(in_channels=[8, 16, 32, 64], channels=16),
             auxiliary_head=dict(in_channels=32, channels=16),
             test_cfg=dict(mode='whole'))
train_dataloader = dict({loader})
val_dataloader = dict({loader})
test_dataloader = dict({loader})
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2),
                     logger=dict(interval=1))
""")
    return path


def save_model_checkpoint(cfg_path: Path, out: Path, scope: str,
                          edit=None) -> Path:
    """Build the config's model, optionally ``edit(model)``, and save its
    weights as a plain checkpoint."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    import rsvheat_mm  # noqa: F401
    cfg = Config.fromfile(str(cfg_path))
    with DefaultScope.overwrite_default_scope(scope):
        with MODELS.switch_scope_and_registry(scope) as registry:
            model = registry.build(cfg.model)
    if edit is not None:
        edit(model)
    torch.save(dict(state_dict=model.state_dict(), meta={}), str(out))
    return out


@contextlib.contextmanager
def scope_restored():
    """Undo the default scope a runner sets (for module-scoped fixtures:
    they run before the per-test restore of tests/conftest.py)."""
    import copy

    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    try:
        yield
    finally:
        DefaultScope._instance_dict = saved


def run_tool(args: List[str], cwd: Path, timeout: int = 900,
             check: bool = True, env: Optional[dict] = None
             ) -> subprocess.CompletedProcess:
    """Run ``python tools/<args[0]> args[1:]`` with the venv's python from
    ``cwd``, without ``PYTHONPATH``."""
    base = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    base.update(env or {})
    p = subprocess.run([sys.executable, str(TOOLS / args[0])] + args[1:],
                       cwd=str(cwd), env=base, capture_output=True,
                       text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, (p.stdout[-3000:] + p.stderr[-3000:])
    return p


def tree(root: Path) -> set:
    """Every path below ``root`` (relative), to compare before / after."""
    return {str(p.relative_to(root)) for p in root.rglob('*')}
