"""``mim train rsvheat_mm NAME`` / ``mim test rsvheat_mm NAME`` as a user runs
them after ``make install``: from a folder outside the repository, with no
``PYTHONPATH``, the config given by its name only (mim must find it, and
the tools, in the installed codebase)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIM = Path(sys.executable).parent / 'mim'

#: the demo config, shrunk to seconds on the command line
SHRINK = [
    'model.backbone.arch.embed_dims=8', 'model.backbone.arch.depths=[1,1,1,1]',
    'model.backbone.img_size=64', 'model.data_preprocessor.size=(64,64)',
    'model.decode_head.in_channels=[8,16,32,64]',
    'model.decode_head.channels=16',
    'train_dataloader.batch_size=2', 'train_dataloader.dataset.num_images=4',
    'train_dataloader.dataset.img_size=64',
    'val_dataloader.dataset.num_images=2', 'val_dataloader.dataset.img_size=64',
    'test_dataloader.dataset.num_images=2',
    'test_dataloader.dataset.img_size=64',
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
]


def _demo_name() -> str:
    names = sorted(p.name for p in (REPO / 'configs' / 'demo').glob('*.py'))
    assert names, 'no demo config under configs/demo'
    return names[0]


def _run(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = f'{MIM.parent}{os.pathsep}{env.get("PATH", "")}'
    p = subprocess.run([str(MIM)] + args, cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=900)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def mim_trained(tmp_path_factory):
    if not MIM.exists():
        pytest.fail(f'{MIM} missing: make install installs openmim')
    root = tmp_path_factory.mktemp('mim')
    assert REPO not in root.parents
    name = _demo_name()
    out = _run(['train', 'rsvheat_mm', name, '--work-dir',
                str(root / 'w'), '--cfg-options'] + SHRINK, cwd=root)
    return root, name, out


def test_mim_train_finds_config_and_tool_in_the_codebase(mim_trained):
    root, name, out = mim_trained
    found = REPO / 'configs' / 'demo' / name
    assert f'will use {found} instead' in out  # mim's own lookup message
    assert (root / 'w' / 'iter_2.pth').is_file()
    # the generated tiles land beside the user's cwd, not in the repository
    assert (root / 'data' / 'synthetic_rs').is_dir()


def test_mim_test_evaluates_the_checkpoint(mim_trained):
    root, name, _ = mim_trained
    out = _run(['test', 'rsvheat_mm', name, '--checkpoint',
                str(root / 'w' / 'iter_2.pth'), '--work-dir',
                str(root / 't'), '--cfg-options'] + SHRINK, cwd=root)
    assert 'mIoU' in out and 'test metrics:' in out
