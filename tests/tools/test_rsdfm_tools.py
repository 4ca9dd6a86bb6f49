"""The scene generator CLI and the bandwidth report tool."""
import argparse
import importlib.util
import json
from pathlib import Path

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
    assert not list((tmp_path / 'report').glob('.*part*'))

    # the scene pictures: platforms' views, BEV maps, fused result
    args.out_dir = str(tmp_path / 'report')
    paths = report.draw_scenes(args.config, args.checkpoint, args, 2)
    assert [Path(p).name for p in paths] == ['scene_000.png',
                                             'scene_001.png']
    from PIL import Image
    w, h = Image.open(paths[0]).size
    assert w > 600 and h > 400  # 3 columns, one row per UAV + the fusion


def _boxes_overlap(a, b) -> bool:
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or
                b.y1 <= a.y0)


def test_bandwidth_plot_has_readable_ticks_and_legend_beside(repo_root,
                                                              tmp_path):
    """Budgets close together (and many) must not print overlapping tick
    labels; the legend must not cover the plotted lines."""
    report = _load(repo_root, 'report')
    collab = [dict(budget=str(b), ratio=b / 65536, bytes=b,
                   **{'bev/mIoU': 40 + i, 'bev/IoU_vehicle': 30 + i,
                      'bev/IoU_building': 50 - i})
              for i, b in enumerate([1024, 1100, 2048, 4096, 8192, 16384,
                                     16500, 32768, 65536, 65536 * 4])]
    results = dict(collab=collab, single=[{'bev/mIoU': 35.,
                                           'bev/best_single_mIoU': 38.}])
    fig = report.plot_iou_vs_bandwidth(
        results, ['vehicle', 'building'], str(tmp_path / 'p.png'),
        close=False)
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(boxes) >= 5
    assert not any(_boxes_overlap(a, b) for i, a in enumerate(boxes)
                   for b in boxes[i + 1:])
    legend = ax.get_legend().get_window_extent(renderer)
    assert not _boxes_overlap(legend, ax.get_window_extent(renderer))
    texts = {t.get_text() for t in labels}
    assert {'1 KiB', '64 KiB', '256 KiB'} <= texts
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_report_rejects_bad_budget_text(repo_root):
    report = _load(repo_root, 'report')
    assert report._parse_budget('none') is None
    assert report._parse_budget('0.25') == 0.25
    assert report._parse_budget('4096') == 4096
    with pytest.raises(ValueError):
        report._parse_budget('lots')
