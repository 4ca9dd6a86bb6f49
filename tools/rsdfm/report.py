"""RS-DFM report: BEV IoU against bandwidth, collaborative vs single platform.

Evaluates a trained collaborative model on the held-out split at several
byte budgets of its (parameter-free) codec, and a trained single-platform
model, then writes to ``--out-dir``:

* ``iou_vs_bandwidth.png``: mIoU (and per-class IoU) against bytes sent per
  platform per frame (log axis); the single-platform models are horizontal
  lines (they send 0 bytes).
* ``report.md``: the collaborative vs single-platform table.
* ``report.json``: every metric of every evaluation.

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
    p.add_argument('--out-dir', default='work_dirs/rsdfm_report',
                   help='output folder (default work_dirs/rsdfm_report)')
    p.add_argument('--data-root', help='override the data root of the '
                   'test split')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='extra config overrides (key=value)')
    return p.parse_args(argv)


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
    from rsvheat_mm.rsdfm import FreqDecoupledCodec
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


def write_report(results: Dict[str, List[dict]], out_dir: str) -> str:
    """Write ``report.md``, ``report.json`` and ``iou_vs_bandwidth.png``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'report.json'), 'w') as fh:
        json.dump(results, fh, indent=2)
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
    with open(osp.join(out_dir, 'report.md'), 'w') as fh:
        fh.write('# RS-DFM: collaborative vs single platform\n\n' + table)

    fig, ax = plt.subplots(figsize=(6, 4))
    pts = sorted(results['collab'], key=lambda r: r['bytes'])
    if pts:
        ax.plot([r['bytes'] for r in pts], [r['bev/mIoU'] for r in pts],
                'o-', label='collaborative mIoU')
        for c in classes:
            ax.plot([r['bytes'] for r in pts],
                    [r.get(f'bev/IoU_{c}', float('nan')) for r in pts],
                    '.:', label=f'collaborative IoU {c}')
    styles = iter(['--', '-.', ':'])
    for r in results['single']:
        ax.axhline(r['bev/mIoU'], color='k', ls=next(styles),
                   label='single platform (UAV 0), 0 B')
        if 'bev/best_single_mIoU' in r:
            ax.axhline(r['bev/best_single_mIoU'], color='gray',
                       ls=next(styles), label='best single platform, 0 B')
    ax.set_xscale('log')
    ax.set_xlabel('bytes sent per platform per frame')
    ax.set_ylabel('BEV IoU (held-out scenes)')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(osp.join(out_dir, 'iou_vs_bandwidth.png'), dpi=120)
    plt.close(fig)
    return table


def main(argv=None) -> str:
    args = parse_args(argv)
    table = write_report(evaluate(args), args.out_dir)
    print(table)
    return table


if __name__ == '__main__':
    main()
