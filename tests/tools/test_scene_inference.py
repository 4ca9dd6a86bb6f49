"""``tools/scene_inference.py`` run as a user runs it: a subprocess from a
folder outside the repository, a tiny segmentation model saved as a
checkpoint, generated GeoTIFF scenes."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('mmseg')
rasterio = pytest.importorskip('rasterio')

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'scene_inference.py'
sys.path.insert(0, str(REPO / 'tests' / 'apis'))
from scene_helpers import (dump_cfg, save_checkpoint, smooth_scene,  # noqa
                           tiny_seg_cfg, write_tif)

DEFAULT_SCOPE = 'mmseg'


def _env():
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env['OMP_NUM_THREADS'] = '1'
    return env


def _run(args, cwd, check=True, **kw):
    proc = subprocess.run([sys.executable, str(TOOL)] + [str(a) for a in args],
                          cwd=str(cwd), env=_env(), capture_output=True,
                          text=True, timeout=600, **kw)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """Config + checkpoint of a tiny UperNet-RSvHeat on Potsdam classes."""
    import torch
    from mmseg.apis import init_model
    root = tmp_path_factory.mktemp('scene_model')
    cfg = tiny_seg_cfg()
    torch.manual_seed(0)
    model = init_model(cfg, None, device='cpu')
    cfg_path = dump_cfg(cfg, root / 'tiny_seg.py')
    ckpt = save_checkpoint(model, root / 'tiny_seg.pth')
    return cfg_path, ckpt


def _scenes(folder, sizes, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    return [write_tif(folder / f's{i}.tif',
                      smooth_scene(h, w, 3, np.uint8, seed=seed + i))
            for i, (h, w) in enumerate(sizes)]


def _classes(out_dir, stem):
    with rasterio.open(Path(out_dir) / f'{stem}_seg.tif') as ds:
        return ds.read(1), ds.transform, ds.crs


def _common(cfg, ckpt):
    return [cfg, ckpt]


OPTS = ['--patch-size', '64', '--gap', '16', '--device', 'cpu',
        '--no-progress']


def test_folder_run_skip_and_refusals(model_files, tmp_path):
    cfg, ckpt = model_files
    scenes = _scenes(tmp_path / 'scenes', [(70, 90), (64, 64)])
    out = tmp_path / 'out'
    p = _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir', out,
              '--gdal-cache-mb', '8'] + OPTS, tmp_path)
    assert '2 scene(s) done' in p.stdout
    assert json.loads((out / 's0.scene.json').read_text())[
        'gdal_cache_mb'] == 8
    for s in scenes:
        cls, tr, crs = _classes(out, s.stem)
        with rasterio.open(s) as ds:
            assert (tr, crs, cls.shape) == (ds.transform, ds.crs,
                                            (ds.height, ds.width))
        assert (out / f'{s.stem}_overview.png').is_file()
        assert (out / f'{s.stem}.scene.json').is_file()
    assert not list(out.glob('.*.part'))
    stamp = (out / 's0_seg.tif').stat().st_mtime_ns
    p = _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir', out] + OPTS,
             tmp_path)
    assert '0 scene(s) done' in p.stdout and '2 already complete' in p.stdout
    assert (out / 's0_seg.tif').stat().st_mtime_ns == stamp
    # the output folder must not be (inside) the input folder
    before = sorted(q.name for q in (tmp_path / 'scenes').iterdir())
    p = _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir',
              tmp_path / 'scenes' / 'pred'] + OPTS, tmp_path, check=False)
    assert p.returncode != 0 and 'inside the input folder' in p.stderr
    assert sorted(q.name for q in (tmp_path / 'scenes').iterdir()) == before
    # a scene the model cannot take: a clear error naming file and fix
    write_tif(tmp_path / 'four.tif', smooth_scene(40, 40, 4, np.uint16))
    p = _run([cfg, ckpt, tmp_path / 'four.tif', '--out-dir', out] + OPTS,
             tmp_path, check=False)
    assert p.returncode == 2
    assert 'four.tif' in p.stderr and '--bands' in p.stderr


def test_interrupted_run_is_redone(model_files, tmp_path):
    """Kill the tool in the middle of a scene: nothing half-written stays
    under a final name, the rerun skips the finished scene, redoes the
    interrupted one, and the outputs equal an uninterrupted run."""
    cfg, ckpt = model_files
    _scenes(tmp_path / 'scenes', [(64, 64), (448, 640)])
    ref_out = tmp_path / 'ref'
    _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir', ref_out] + OPTS,
         tmp_path)
    out = tmp_path / 'out'
    proc = subprocess.Popen(
        [sys.executable, str(TOOL), str(cfg), str(ckpt),
         str(tmp_path / 'scenes'), '--out-dir', str(out)] + OPTS,
        cwd=str(tmp_path), env=_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    part = out / '.s1_seg.tif.part'
    t0 = time.time()
    while not part.exists() and proc.poll() is None and \
            time.time() - t0 < 300:
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, 'the run ended before it could be killed'
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / 's0.scene.json').is_file()
    assert not (out / 's1_seg.tif').exists()
    assert not (out / 's1.scene.json').exists()
    p = _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir', out] + OPTS,
             tmp_path)
    assert "1 scene(s) done ['s1']" in p.stdout
    assert "already complete ['s0']" in p.stdout
    for stem in ('s0', 's1'):
        a, ta, ca = _classes(out, stem)
        b, tb, cb = _classes(ref_out, stem)
        np.testing.assert_array_equal(a, b)
        assert (ta, ca) == (tb, cb)
    assert not list(out.glob('.*.part'))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_torchrun_shards_the_folder(model_files, tmp_path):
    """2 CPU processes (gloo) over 4 scenes: every scene done exactly once,
    outputs equal a 1-process run."""
    cfg, ckpt = model_files
    scenes = _scenes(tmp_path / 'scenes', [(64, 64), (70, 80), (64, 90),
                                           (80, 64)])
    one = tmp_path / 'one'
    _run([cfg, ckpt, tmp_path / 'scenes', '--out-dir', one] + OPTS,
         tmp_path)
    two = tmp_path / 'two'
    cmd = [sys.executable, '-m', 'torch.distributed.run',
           '--nproc_per_node', '2', '--master_port', str(_free_port()),
           str(TOOL), str(cfg), str(ckpt), str(tmp_path / 'scenes'),
           '--out-dir', str(two), '--launcher', 'pytorch'] + OPTS
    p = subprocess.run(cmd, cwd=str(tmp_path), env=_env(),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    ranks = {}
    for s in scenes:
        man = json.loads((two / f'{s.stem}.scene.json').read_text())
        assert man['world_size'] == 2
        ranks[s.stem] = man['rank']
        a, ta, _ = _classes(one, s.stem)
        b, tb, _ = _classes(two, s.stem)
        np.testing.assert_array_equal(a, b)
        assert ta == tb
    assert sorted(ranks.values()) == [0, 0, 1, 1]
    done = [line for line in p.stdout.splitlines() if 'scene(s) done' in line]
    assert len(done) == 2
    assert all('2 scene(s) done' in line for line in done)


def test_slurm_scripts_form_the_openmmlab_command(tmp_path):
    """tools/slurm_{train,test}.sh call srun with the OpenMMLab arguments
    (a stand-in srun records them)."""
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/bin/sh\necho "$@" > "$SRUN_LOG"\n')
    (fake / 'srun').chmod(0o755)
    env = dict(_env(), PATH=f'{fake}:{os.environ["PATH"]}', GPUS='4',
               GPUS_PER_NODE='4', SRUN_LOG=str(tmp_path / 'log'))
    subprocess.run(['bash', str(REPO / 'tools/slurm_train.sh'), 'part',
                    'job', 'cfg.py', 'wd', '--amp'], env=env, check=True,
                   cwd=str(tmp_path), capture_output=True)
    log = (tmp_path / 'log').read_text().split()
    assert log[:2] == ['-p', 'part'] and '--job-name=job' in log
    assert '--ntasks=4' in log and '--gres=gpu:4' in log
    assert log[-5].endswith('tools/train.py') and log[-4:] == [
        'cfg.py', '--work-dir=wd', '--launcher=slurm', '--amp']
    subprocess.run(['bash', str(REPO / 'tools/slurm_test.sh'), 'part',
                    'job', 'cfg.py', 'x.pth'], env=env, check=True,
                   cwd=str(tmp_path), capture_output=True)
    log = (tmp_path / 'log').read_text().split()
    assert log[-4].endswith('tools/test.py') and log[-3:] == [
        'cfg.py', 'x.pth', '--launcher=slurm']
