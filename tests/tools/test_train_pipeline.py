"""End to end through the tools: train, resume, test, mim, distributed,
pictures. A shrunk copy of the demo config (same dataset, model family,
loops and hooks) keeps each run to seconds."""
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / 'configs/demo/upernet_rsvheat-demo_600it_synthetic-rs-128.py'
sys.path.insert(0, str(REPO / 'tools'))
import train as train_tool  # noqa: E402

PROBE = {}


@HOOKS.register_module(force=True)
class ResumeProbeHook(Hook):
    """Records what the runner holds right after load_or_resume()."""

    def before_train(self, runner):
        PROBE['iter'] = runner.iter
        PROBE['state'] = {k: v.clone()
                          for k, v in runner.model.state_dict().items()}
        PROBE['optim'] = copy.deepcopy(runner.optim_wrapper.state_dict())


def write_cfg(path: Path, data_root: Path, extra: str = '') -> Path:
    path.write_text(f"""
_base_ = [{str(DEMO)!r}]
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


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('run')
    cfg = write_cfg(root / 'cfg_a.py', root / 'data')
    train_tool.main([str(cfg), '--work-dir', str(root / 'a')])
    return root, cfg


def test_train_writes_checkpoints_that_load_weights_only(trained):
    root, _ = trained
    ckpt = torch.load(root / 'a' / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert 'message_hub' in ckpt and 'optimizer' in ckpt
    assert any(k.startswith('backbone.fve') for k in ckpt['state_dict'])


def test_resume_restores_iteration_optimizer_and_weights(trained):
    root, _ = trained
    cfg_b = write_cfg(root / 'cfg_b.py', root / 'data',
                      "custom_hooks = [dict(type='ResumeProbeHook')]")
    PROBE.clear()
    train_tool.main([str(cfg_b), '--work-dir', str(root / 'b'), '--resume',
                     str(root / 'a' / 'iter_2.pth')])
    saved = torch.load(root / 'a' / 'iter_2.pth', weights_only=True)
    assert PROBE['iter'] == 2
    for k, v in saved['state_dict'].items():
        assert torch.equal(PROBE['state'][k], v), k
    exp = saved['optimizer']['state']
    got = PROBE['optim']['state']
    assert exp and set(exp) == set(got)
    for pid in exp:
        assert torch.equal(got[pid]['exp_avg'], exp[pid]['exp_avg'])
        assert got[pid]['step'] == exp[pid]['step']
    # the resumed run ends where the uninterrupted one ended
    a4 = torch.load(root / 'a' / 'iter_4.pth', weights_only=True)
    b4 = torch.load(root / 'b' / 'iter_4.pth', weights_only=True)
    for k, v in a4['state_dict'].items():
        assert torch.allclose(b4['state_dict'][k], v, atol=1e-6), k


def run(cmd, cwd=REPO, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout + p.stderr


def test_test_tool_prints_metrics(trained):
    root, cfg = trained
    out = run([sys.executable, 'tools/test.py', str(cfg),
               str(root / 'a' / 'iter_4.pth'), '--work-dir',
               str(root / 'test')])
    assert 'mIoU' in out and 'mFscore' in out


def test_mim_test_finds_the_package_tools(trained):
    mim = shutil.which('mim') or str(Path(sys.executable).parent / 'mim')
    if not Path(mim).exists():
        pytest.fail('mim is not installed: make install installs openmim')
    root, cfg = trained
    out = run([mim, 'test', 'rsvheat_mm', str(cfg), '--checkpoint',
               str(root / 'a' / 'iter_4.pth'), '--work-dir',
               str(root / 'mim')])
    assert 'mIoU' in out


def test_prediction_and_heat_pictures(trained):
    root, cfg = trained
    ckpt = str(root / 'a' / 'iter_4.pth')
    run([sys.executable, 'tools/visualize_predictions.py', str(cfg), ckpt,
         '--out', str(root / 'pred.png'), '--num', '2'])
    img = root / 'data' / 'img_dir' / 'val' / 'val_0000.png'
    run([sys.executable, 'tools/visualize_heat.py', str(cfg), ckpt, str(img),
         '--out', str(root / 'heat.png')])
    from PIL import Image
    pred = Image.open(root / 'pred.png')
    assert pred.size == (3 * 64, 2 * 64)
    assert Image.open(root / 'heat.png').size[0] > 500


@pytest.mark.slow
def test_distributed_gloo_two_ranks_identical_weights(tmp_path):
    cfg = write_cfg(tmp_path / 'cfg_d.py', tmp_path / 'data',
                    "custom_hooks = [dict(type='DistConsistencyHook', "
                    "interval=2)]")
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1',
               PYTHON=sys.executable,
               PORT=str(29500 + os.getpid() % 1000))
    p = subprocess.run(['bash', 'tools/dist_train.sh', str(cfg), '2',
                        '--work-dir', str(tmp_path / 'd')], cwd=REPO,
                       env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    fp = json.loads((tmp_path / 'd' / 'rank_fingerprints.json').read_text())
    assert fp['iter'] == 4 and len(fp['ranks']) == 2
    assert fp['ranks'][0] == fp['ranks'][1]
    assert (tmp_path / 'd' / 'iter_4.pth').exists()
