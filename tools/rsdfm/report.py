"""RS-DFM report: BEV IoU against bandwidth, collaborative vs single platform.

Evaluates a trained collaborative model on the held-out split at several
byte budgets of its (parameter-free) codec, and a trained single-platform
model, then writes to ``--out-dir``:

* ``iou_vs_bandwidth.png``: mIoU (and per-class IoU) against bytes sent per
  platform per frame (log axis, one labelled tick per budget); the
  single-platform models are horizontal lines (they send 0 bytes); the
  legend sits beside the plot.
* ``scenes/scene_<i>.png`` (``--pictures N``, default 2): for N held-out
  scenes, each platform's camera view, its BEV feature map (channel norm
  where its camera sees the ground) and its own prediction, then the ground
  truth, the collaborative (fused) prediction and its errors.
* ``report.md``: the collaborative vs single-platform table.
* ``report.json``: every metric of every evaluation.

Everything goes under ``--out-dir`` (default: ``rsdfm_report/`` beside the
collaborative checkpoint), nothing into the current folder.

Example::

    python tools/rsdfm/report.py \
        configs/rsdfm/rsdfm-collab_rsvheat-s8_adamw-2k_synth-multiuav.py \
        work_dirs/collab/iter_2000.pth \
        --single configs/rsdfm/rsdfm-single_rsvheat-s8_adamw-2k_synth-multiuav.py \
            work_dirs/single/iter_2000.pth \
        --budgets none 1.0 0.25 0.0625 0.015625 --out-dir work_dirs/report
"""
import argparse
import copy
import json
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='collaborative model config')
    p.add_argument('checkpoint', help='collaborative model checkpoint')
    p.add_argument('--single', nargs=2, metavar=('CONFIG', 'CHECKPOINT'),
                   help='single-platform model config and checkpoint')
    p.add_argument('--budgets', nargs='+',
                   default=['none', '1.0', '0.25', '0.0625', '0.015625'],
                   help="codec budgets: 'none' (raw maps), a float ratio of "
                   'the raw float32 size, or an int number of bytes '
                   '(default: none 1.0 0.25 0.0625 0.015625)')
    p.add_argument('--out-dir', default=None,
                   help='output folder (default: rsdfm_report/ in the '
                   'folder of the collaborative checkpoint)')
    p.add_argument('--pictures', type=int, default=2,
                   help='held-out scenes to draw (default 2; 0 for none)')
    p.add_argument('--data-root', help='override the data root of the '
                   'test split')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='extra config overrides (key=value)')
    args = p.parse_args(argv)
    if args.out_dir is None:
        args.out_dir = osp.join(osp.dirname(osp.abspath(args.checkpoint)),
                                'rsdfm_report')
    return args


def _parse_budget(text: str):
    if text.lower() == 'none':
        return None
    return float(text) if '.' in text or 'e' in text.lower() else int(text)


def _runner(config: str, checkpoint: str, args, tag: str) -> Runner:
    cfg = Config.fromfile(config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.data_root:
        cfg.test_dataloader.dataset.data_root = args.data_root
    cfg.load_from = checkpoint
    cfg.work_dir = osp.join(args.out_dir, tag)
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = None
    return Runner.from_cfg(cfg)


def evaluate(args) -> Dict[str, List[dict]]:
    """Run every evaluation; returns ``dict(collab=[...], single=[...])``."""
    from rsvheat_mm.models.rsdfm import FreqDecoupledCodec
    out: Dict[str, List[dict]] = dict(collab=[], single=[])
    runner = _runner(args.config, args.checkpoint, args, 'collab')
    model = runner.model
    base = copy.deepcopy(model.codec) or FreqDecoupledCodec()
    for text in args.budgets:
        budget = _parse_budget(text)
        codec = copy.deepcopy(base)
        try:
            codec.budget = budget
            chans = model.view_transformer.out_channels
            h, w = model.view_transformer.grid.shape
            plan = codec.plan(chans, h, w)
        except ValueError as err:
            print(f'skip budget {text}: {err}')
            continue
        model.codec = codec if budget is not None else None
        metrics = runner.test()
        out['collab'].append(dict(budget=text, ratio=plan.ratio,
                                  bytes=plan.total, **metrics))
    if args.single:
        runner = _runner(args.single[0], args.single[1], args, 'single')
        out['single'].append(dict(budget='0', bytes=0, **runner.test()))
    return out


def _fmt(v: Optional[float]) -> str:
    return '-' if v is None else f'{v:.3f}'


def _write_text(path: str, text: str) -> None:
    tmp = osp.join(osp.dirname(path), f'.{osp.basename(path)}.part')
    with open(tmp, 'w') as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_report(results: Dict[str, List[dict]], out_dir: str) -> str:
    """Write ``report.md``, ``report.json`` and ``iou_vs_bandwidth.png``
    (each under a temporary name, renamed when complete)."""
    os.makedirs(out_dir, exist_ok=True)
    _write_text(osp.join(out_dir, 'report.json'),
                json.dumps(results, indent=2))
    classes = sorted({k.split('IoU_', 1)[1] for r in results['collab'] +
                      results['single'] for k in r
                      if k.startswith('bev/IoU_')})
    rows = []
    head = ('| model | bytes / platform / frame | ratio | mIoU | ' +
            ' | '.join(f'IoU {c}' for c in classes) + ' | det mAP |')
    rows.append(head)
    rows.append('|' + ' --- |' * (5 + len(classes)))
    for r in results['single']:
        for tag, pre in (('single platform (UAV 0)', 'bev/'),
                         ('single platform (best UAV per scene, oracle)',
                          'bev/best_single_')):
            rows.append(f'| {tag} | 0 | 0 | {_fmt(r.get(pre + "mIoU"))} | ' +
                        ' | '.join(_fmt(r.get(f'{pre}IoU_{c}'))
                                   for c in classes) +
                        f' | {_fmt(r.get("bev_det/mAP")) if pre == "bev/" else "-"} |')
    for r in results['collab']:
        rows.append(f'| collaborative, budget {r["budget"]} | {r["bytes"]} | '
                    f'{r["ratio"]:.4f} | {_fmt(r.get("bev/mIoU"))} | ' +
                    ' | '.join(_fmt(r.get(f'bev/IoU_{c}')) for c in classes)
                    + f' | {_fmt(r.get("bev_det/mAP"))} |')
    if results['collab']:
        r = results['collab'][0]
        rows.append('')
        rows.append(f'Same collaborative weights, each platform alone (best '
                    f'per scene, oracle): mIoU '
                    f'{_fmt(r.get("bev/best_single_mIoU"))}.')
    table = '\n'.join(rows) + '\n'
    _write_text(osp.join(out_dir, 'report.md'),
                '# RS-DFM: collaborative vs single platform\n\n' + table)

    plot_iou_vs_bandwidth(results, classes,
                          osp.join(out_dir, 'iou_vs_bandwidth.png'))
    return table


def _bytes_label(n: float) -> str:
    for unit, size in (('MiB', 2**20), ('KiB', 2**10)):
        if n >= size:
            v = n / size
            return f'{v:.0f} {unit}' if v >= 10 or v == int(v) else \
                f'{v:.1f} {unit}'
    return f'{n:.0f} B'


def budget_ticks(values: List[float], min_gap: float = 0.25) -> List[float]:
    """Tick positions for a log axis: the budgets' byte counts, leaving out
    any closer than ``min_gap`` decades to the previous kept one (their
    labels would overlap)."""
    import math
    kept: List[float] = []
    for v in sorted(set(v for v in values if v > 0)):
        if not kept or math.log10(v) - math.log10(kept[-1]) >= min_gap:
            kept.append(v)
    return kept


def plot_iou_vs_bandwidth(results: Dict[str, List[dict]],
                          classes: List[str], path: str, close: bool = True):
    """Draw mIoU / per-class IoU against bytes sent; returns the figure.

    One labelled x tick per budget (human-readable bytes, no minor-tick
    labels), the single-platform levels as horizontal lines, the legend
    outside the axes (right), so it covers no line.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
    fig, ax = plt.subplots(figsize=(9, 4.5))
    pts = sorted(results['collab'], key=lambda r: r['bytes'])
    if pts:
        ax.plot([r['bytes'] for r in pts], [r['bev/mIoU'] for r in pts],
                'o-', lw=2, label='collaborative mIoU')
        for c in classes:
            ax.plot([r['bytes'] for r in pts],
                    [r.get(f'bev/IoU_{c}', float('nan')) for r in pts],
                    '.:', label=f'collaborative IoU {c}')
    styles = iter(['--', '-.', ':', (0, (1, 3))])
    for r in results['single']:
        ax.axhline(r['bev/mIoU'], color='k', ls=next(styles),
                   label='single platform (UAV 0), 0 B')
        if 'bev/best_single_mIoU' in r:
            ax.axhline(r['bev/best_single_mIoU'], color='gray',
                       ls=next(styles), label='best single platform, 0 B')
    ax.set_xscale('log')
    ticks = budget_ticks([r['bytes'] for r in pts])
    if ticks:
        lo, hi = ticks[0], ticks[-1]
        ax.set_xlim(lo / 1.6, hi * 1.6)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xticklabels([_bytes_label(t) for t in ticks], rotation=30,
                           ha='right')
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel('bytes sent per platform per frame (log scale)')
    ax.set_ylabel('BEV IoU (held-out scenes)')
    ax.grid(True, which='major', alpha=0.3)
    ax.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.)
    fig.tight_layout()
    if close:
        from rsvheat_mm.engine.runner_utils import save_figure
        save_figure(fig, path, dpi=120)
    else:  # kept open for a look at its layout
        fig.savefig(path, dpi=120)
    return fig


#: BEV class colours of the scene pictures (background, vehicle, building)
BEV_PALETTE = ((60, 60, 60), (230, 60, 40), (70, 130, 220))


def _paint_bev(labels, palette=BEV_PALETTE):
    import numpy as np
    labels = np.asarray(labels)
    out = np.full(labels.shape + (3, ), 255, np.uint8)  # unknown: white
    for k, col in enumerate(palette):
        out[labels == k] = col
    return out


def draw_scenes(config: str, checkpoint: str, args, num: int) -> List[str]:
    """Write ``scenes/scene_<i>.png`` for the first ``num`` held-out
    scenes; returns the paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from matplotlib.patches import Patch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, DefaultScope

    from rsvheat_mm.engine.runner_utils import save_figure
    runner = _runner(config, checkpoint, args, 'scenes_run')
    runner.load_or_resume()
    model = runner.model.eval()
    cfg = runner.cfg
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classes = list(dataset.metainfo.get('classes', ())) or [
        str(k) for k in range(len(BEV_PALETTE))]
    out_dir = osp.join(args.out_dir, 'scenes')
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    single_flag = model.test_single
    model.test_single = True
    try:
        for i in range(min(num, len(dataset))):
            batch = model.data_preprocessor(pseudo_collate([dataset[i]]),
                                            False)
            with torch.no_grad():
                # the collaborative model's own pieces: per-platform BEV
                # maps and coverage, then the full prediction
                out = model._run(batch['inputs'])
                pred = model.predict(batch['inputs'], batch['data_samples'])[0]
            present = out['data']['agent_mask'][0].cpu().numpy()
            agents = [a for a in range(len(present)) if present[a]]
            imgs = out['data']['imgs'][0].cpu().numpy()
            bev = out['bevs']['bev'][0].float().norm(dim=1).cpu().numpy()
            cov = out['bevs']['coverage'][0].float().cpu().numpy()
            cov = cov.reshape(cov.shape[0], -1, *cov.shape[-2:]).max(1)
            alone = pred.pred_bev_seg_agents.numpy()
            gt = pred.gt_bev_seg.numpy()
            fused = pred.pred_bev_seg.numpy()
            nrow = len(agents) + 1
            fig, axes = plt.subplots(nrow, 3, figsize=(9, 3 * nrow + 0.6),
                                     squeeze=False)
            for r, a in enumerate(agents):
                img = imgs[a]
                img = img.transpose(1, 2, 0) if img.shape[0] in (1, 3) \
                    else img
                axes[r, 0].imshow(np.clip(img, 0, 255).astype(np.uint8))
                axes[r, 0].set_title(f'UAV {a}: camera view', fontsize=9)
                feat = np.where(cov[a] > 0, bev[a], np.nan)
                im = axes[r, 1].imshow(feat, cmap='viridis')
                fig.colorbar(im, ax=axes[r, 1], fraction=0.046)
                axes[r, 1].set_title(f'UAV {a}: BEV features |f| (seen '
                                     f'cells)', fontsize=9)
                axes[r, 2].imshow(_paint_bev(alone[r]),
                                  interpolation='nearest')
                axes[r, 2].set_title(f'UAV {a} alone: prediction',
                                     fontsize=9)
            last = nrow - 1
            wrong = (fused != gt)
            err = _paint_bev(gt)
            err[wrong] = (255, 0, 255)
            for ax, img, title in zip(
                    axes[last], (_paint_bev(gt), _paint_bev(fused), err),
                    ('ground truth', 'fused (collaborative) prediction',
                     f'fused errors (magenta, {wrong.mean():.1%})')):
                ax.imshow(img, interpolation='nearest')
                ax.set_title(title, fontsize=9)
            for ax in axes.flat:
                ax.set_xticks([])
                ax.set_yticks([])
            fig.legend(handles=[Patch(facecolor=np.asarray(c) / 255.,
                                      label=n)
                                for n, c in zip(classes, BEV_PALETTE)],
                       loc='lower center', ncol=len(classes), fontsize=8,
                       frameon=False)
            fig.suptitle(f'held-out scene {i}: {len(agents)} UAVs, '
                         f'{sum(pred.bytes_sent)} bytes sent', fontsize=10)
            fig.tight_layout(rect=(0, 0.04, 1, 0.97))
            paths.append(save_figure(
                fig, osp.join(out_dir, f'scene_{i:03d}.png'), dpi=90))
    finally:
        model.test_single = single_flag
    return paths


def run(args) -> str:
    """Check the inputs, evaluate, write the report and the pictures."""
    import rsvheat_mm  # noqa: F401
    from rsvheat_mm.engine.runner_utils import (check_checkpoint_arg,
                                                check_work_dir)
    check_work_dir(args.out_dir)
    check_checkpoint_arg(args.checkpoint, 'CHECKPOINT')
    table = write_report(evaluate(args), args.out_dir)
    pictures = draw_scenes(args.config, args.checkpoint, args,
                           args.pictures) if args.pictures > 0 else []
    print(table)
    for p in pictures:
        print(f'wrote {p}')
    return table


def main(argv=None) -> str:
    from rsvheat_mm.engine.runner_utils import run_tool
    return run_tool(run, parse_args(argv))


if __name__ == '__main__':
    main()
