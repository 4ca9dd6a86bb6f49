"""``tools/det_submission.py`` on the real DOTA tile with a tiny model."""
import pickle
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmrotate')

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from det_helpers import (CONFIGS, REPO, rbox_pipelines,  # noqa: E402
                         shrink_model)


def _tiny_dota(shared_data, tmp_path):
    """A tiny DOTA config on the real unlabelled tile and its random
    weights: (config path, checkpoint path)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import rsvheat_mm  # noqa: F401
    from mmrotate.registry import MODELS
    cfg = Config.fromfile(str(REPO / CONFIGS['dota']))
    shrink_model(cfg.model)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    _, test_p = rbox_pipelines(256, test_ann=False)  # unlabelled test set
    cfg.test_dataloader.update(batch_size=1, num_workers=0,
                               persistent_workers=False)
    cfg.test_dataloader.dataset.update(
        data_root=str(shared_data / 'dota'), ann_file='',
        data_prefix=dict(img_path='images/'), pipeline=test_p)
    cfg_path = tmp_path / 'tiny.py'
    cfg.dump(str(cfg_path))
    with DefaultScope.overwrite_default_scope('mmrotate'):
        model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), str(ckpt))
    sys.path.insert(0, str(REPO / 'tools'))
    return cfg_path, ckpt


def test_submission_tool_writes_task1_and_pkl(shared_data, tmp_path):
    cfg_path, ckpt = _tiny_dota(shared_data, tmp_path)
    import det_submission
    out = tmp_path / 'sub'
    det_submission.main([str(cfg_path), str(ckpt), '--format', 'dota', 'pkl',
                         '--out-dir', str(out), '--work-dir',
                         str(tmp_path / 'w')])
    task1 = sorted(p.name for p in (out / 'dota').iterdir())
    assert len(task1) == 15 and 'Task1_plane.txt' in task1
    lines = [ln for p in (out / 'dota').iterdir()
             for ln in p.read_text().splitlines()]
    assert lines and all(ln.split()[0] == 'P2805' for ln in lines)
    assert all(len(ln.split()) == 10 for ln in lines)
    assert (out / 'dota.zip').is_file()
    with open(out / 'results.pkl', 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == 1
    assert dumped[0]['img_id'] == 'P2805__1024__0___0'


def test_submission_writes_only_under_out_dir_with_a_progress_bar(
        shared_data, tmp_path, monkeypatch, capsys):
    """No --work-dir: the logs go under --out-dir; the current folder
    stays empty (it once got ./work_dirs/<config>)."""
    cfg_path, ckpt = _tiny_dota(shared_data, tmp_path)
    cwd = tmp_path / 'cwd'
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    import det_submission
    out = tmp_path / 'sub'
    det_submission.main([str(cfg_path), str(ckpt), '--format', 'dota',
                         '--out-dir', str(out)])
    assert list(cwd.iterdir()) == []
    assert (out / 'dota.zip').is_file() and (out / 'logs').is_dir()
    printed = capsys.readouterr().out
    assert '1/1' in printed and 'task/s' in printed  # mmengine ProgressBar
