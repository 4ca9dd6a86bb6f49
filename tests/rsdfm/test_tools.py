"""The scene generator CLI and the bandwidth report tool."""
import argparse
import importlib.util
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from rsvheat_mm.registry import MODELS

COLLAB = 'configs/rsdfm/rsdfm-collab_rsvheat-s8_adamw-2k_synth-multiuav.py'
SINGLE = 'configs/rsdfm/rsdfm-single_rsvheat-s8_adamw-2k_synth-multiuav.py'


def _load(repo_root, name):
    path = repo_root / 'tools' / 'rsdfm' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'rsdfm_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generate_scenes_cli(repo_root, tmp_path):
    gen = _load(repo_root, 'generate_scenes')
    meta = gen.main([str(tmp_path), '--num-train', '3', '--num-val', '2',
                     '--seed', '5', '--agents', '3', '3', '--altitude',
                     '40', '50'])
    assert meta['stats']['train']['frames'] == 3
    assert meta['stats']['val']['mean_agents'] == 3
    lines = (tmp_path / 'val.txt').read_text().split()
    assert lines == ['00003_00.npz', '00004_00.npz']
    with np.load(tmp_path / 'frames' / lines[0]) as z:
        alt = z['cam2world'][:, 2, 3]
        assert z['imgs'].shape == (3, 64, 64, 3)
    assert ((alt >= 40) & (alt <= 50)).all()
    assert json.loads((tmp_path / 'meta.json').read_text())['seed'] == 5


def test_report_tool_end_to_end(repo_root, uav_data, tiny_model_cfg,
                                tmp_path):
    report = _load(repo_root, 'report')
    tiny = tiny_model_cfg()
    tiny.pop('type')
    opts = {f'model.{k}': v for k, v in tiny.items() if k != 'codec'}
    opts.update({
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
        'test_dataloader.dataset.indices': 6,
        'test_evaluator': [dict(type='BEVSegIoUMetric')],
    })
    cfg = Config.fromfile(str(repo_root / COLLAB))
    cfg.merge_from_dict(opts)
    torch.manual_seed(0)
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(),
                    meta=dict()), ckpt)
    args = argparse.Namespace(
        config=str(repo_root / COLLAB), checkpoint=str(ckpt),
        single=[str(repo_root / SINGLE), str(ckpt)],
        budgets=['none', '0.25', '64'], out_dir=str(tmp_path / 'report'),
        data_root=str(uav_data), cfg_options=opts)
    results = report.evaluate(args)
    # the 64-byte budget cannot hold the low band: skipped with a message
    assert [r['budget'] for r in results['collab']] == ['none', '0.25']
    raw, quarter = results['collab']
    assert raw['bytes'] == 4 * 8 * 32 * 32 and quarter['bytes'] == 8 * 32 * 32
    assert quarter['bev/bytes_per_agent'] == quarter['bytes']
    assert len(results['single']) == 1
    assert results['single'][0]['bev/bytes_per_agent'] == 0
    table = report.write_report(results, args.out_dir)
    assert 'single platform (best UAV per scene, oracle)' in table
    assert 'collaborative, budget 0.25 | 8192' in table
    png = tmp_path / 'report' / 'iou_vs_bandwidth.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert json.loads((tmp_path / 'report' / 'report.json').read_text())


def test_report_rejects_bad_budget_text(repo_root):
    report = _load(repo_root, 'report')
    assert report._parse_budget('none') is None
    assert report._parse_budget('0.25') == 0.25
    assert report._parse_budget('4096') == 4096
    with pytest.raises(ValueError):
        report._parse_budget('lots')
