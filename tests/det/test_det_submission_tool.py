"""``tools/det_submission.py`` on the real DOTA tile with a tiny model."""
import pickle
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmrotate')

sys.path.insert(0, str(Path(__file__).resolve().parent))
from det_helpers import (CONFIGS, REPO, rbox_pipelines,  # noqa: E402
                         shrink_model)


def test_submission_tool_writes_task1_and_pkl(shared_data, tmp_path):
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
