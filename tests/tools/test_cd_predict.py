"""``tools/cd_predict.py`` never writes into its own inputs (issue 16 item
1): an --out-dir that is or lies inside A/, B/ or label/ is refused and the
dataset's files keep their bytes; a run into its own folder still works."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmseg')

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'cd_predict.py'
sys.path.insert(0, str(REPO / 'tests' / 'apis'))
from scene_helpers import (CD_CFG, dump_cfg, save_checkpoint,  # noqa: E402
                           tiny_seg_cfg)

DEFAULT_SCOPE = 'mmseg'


def _hashes(root: Path):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes())
            .hexdigest() for p in sorted(root.rglob('*')) if p.is_file()}


@pytest.fixture
def levir(shared_data, tmp_path):
    root = tmp_path / 'levir'
    shutil.copytree(shared_data / 'levir_cd', root)
    return root


@pytest.fixture(scope='module')
def cd_model(tmp_path_factory):
    import torch
    from mmseg.apis import init_model
    root = tmp_path_factory.mktemp('cd_model')
    cfg = tiny_seg_cfg(CD_CFG)
    cfg.test_dataloader.dataset.data_prefix = dict(img_path='A',
                                                   img_path2='B',
                                                   seg_map_path='label')
    torch.manual_seed(0)
    model = init_model(cfg, None, device='cpu')
    return dump_cfg(cfg, root / 'cd.py'), save_checkpoint(
        model, root / 'cd.pth', dict(classes=('unchanged', 'changed')))


def _run(cfg, ckpt, levir, out, cwd, label=True):
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    args = [sys.executable, str(TOOL), str(cfg), str(ckpt), '--data-root',
            str(levir), '--out-dir', str(out), '--device', 'cpu']
    if label:
        args += ['--label', 'label']
    return subprocess.run(args, cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize('target', ['label', 'B', 'A', 'label/pred',
                                    'B/../label'])
def test_out_dir_in_an_input_folder_is_refused(cd_model, levir, tmp_path,
                                               target):
    cfg, ckpt = cd_model
    before = _hashes(levir)
    p = _run(cfg, ckpt, levir, levir / target, tmp_path)
    assert p.returncode != 0
    assert 'inside the input folder' in p.stderr
    assert 'replace' in p.stderr  # says why
    assert _hashes(levir) == before


def test_prediction_into_its_own_folder(cd_model, levir, tmp_path):
    cfg, ckpt = cd_model
    before = _hashes(levir)
    out = levir / 'pred'  # beside A/ B/ label/: allowed
    p = _run(cfg, ckpt, levir, out, tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    names = sorted(q.name for q in (levir / 'label').iterdir())
    assert sorted(q.name for q in out.iterdir()) == names
    for n in names:
        m = cv2.imread(str(out / n), cv2.IMREAD_UNCHANGED)
        assert m.ndim == 2 and set(np.unique(m)) <= {0, 255}
    assert {k: v for k, v in _hashes(levir).items()
            if not k.startswith('pred')} == before
