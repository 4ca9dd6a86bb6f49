"""End to end through the tools: train, resume, test, distributed,
pictures (``mim``: tests/integration/test_mim.py). A shrunk copy of the demo
config (same dataset, model family, loops and hooks) keeps each run to
seconds; tools run from folders outside the repository, without
``PYTHONPATH``."""
import copy
import json
import os
import subprocess
import sys

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from tool_helpers import REPO, run_tool, scope_restored  # noqa: E402
from tool_helpers import write_seg_cfg as write_cfg  # noqa: E402

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


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('run')
    cfg = write_cfg(root / 'cfg_a.py', root / 'data')
    with scope_restored():
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


def test_test_tool_prints_metrics(trained):
    """From a folder outside the repository; the summary lists each metric
    with its value (mmseg returns numpy floats, once printed as {})."""
    root, cfg = trained
    cwd = root / 'cwd'
    cwd.mkdir()
    p = run_tool(['test.py', str(cfg), str(root / 'a' / 'iter_4.pth'),
                  '--work-dir', str(root / 'test')], cwd=cwd)
    summary = p.stdout.split('test metrics:', 1)[1].splitlines()
    values = dict(line.split() for line in summary if line.strip())
    assert {'aAcc', 'mIoU', 'mFscore'} <= set(values)
    assert 0 <= float(values['mIoU']) <= 100
    assert not list(cwd.iterdir())  # nothing written outside --work-dir
    # the known third-party deprecations are filtered, nothing else
    assert 'pkg_resources is deprecated' not in p.stderr
    assert 'Failed to search registry' not in p.stdout + p.stderr


def test_prediction_and_heat_pictures(trained):
    root, cfg = trained
    ckpt = str(root / 'a' / 'iter_4.pth')
    run_tool(['visualize_predictions.py', str(cfg), ckpt, '--out',
              str(root / 'pred.png'), '--num', '2'], cwd=root)
    img = root / 'data' / 'img_dir' / 'val' / 'val_0000.png'
    run_tool(['visualize_heat.py', str(cfg), ckpt, str(img), '--out',
              str(root / 'heat.png')], cwd=root)
    from PIL import Image
    pred = Image.open(root / 'pred.png')
    assert pred.size[0] > 3 * 64 and pred.size[1] > 2 * 64  # + titles
    assert Image.open(root / 'heat.png').size[0] > 500


@pytest.mark.slow
def test_distributed_gloo_two_ranks_identical_weights(tmp_path):
    cfg = write_cfg(tmp_path / 'cfg_d.py', tmp_path / 'data',
                    "custom_hooks = [dict(type='DistConsistencyHook', "
                    "interval=2)]")
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(29500 + os.getpid() % 1000))
    p = subprocess.run(['bash', str(REPO / 'tools' / 'dist_train.sh'),
                        str(cfg), '2', '--work-dir', str(tmp_path / 'd')],
                       cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    fp = json.loads((tmp_path / 'd' / 'rank_fingerprints.json').read_text())
    assert fp['iter'] == 4 and len(fp['ranks']) == 2
    assert fp['ranks'][0] == fp['ranks'][1]
    assert (tmp_path / 'd' / 'iter_4.pth').exists()
