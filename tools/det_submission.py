"""Run a test set and write leaderboard / standard result files.

* ``--format dota``: DOTA Task1 per-class txt on full images (tiles merged
  with rotated NMS), zipped for the DOTA server.
* ``--format fair1m``: FAIR1M-2.0 per-image XML on full images, zipped in a
  ``test`` folder for the ISPRS benchmark server.
* ``--format voc`` / ``dota_task2``: per-class horizontal-box txt.
* ``--format pkl``: mmdet's standard ``DumpDetResults`` pickle (DIOR,
  SAR-AIRcraft-1.0; ``tools/analysis_tools`` of mmdet read it).

Formats combine: ``--format dota pkl``. The config's own evaluator is
replaced unless ``--keep-metrics`` (then a labelled test set is scored too).
A progress bar counts the test images. Everything is written under
``--out-dir`` (the logs in ``<out-dir>/logs`` unless ``--work-dir``).

Example::

    python tools/det_submission.py \
        configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py \
        work_dirs/epoch_12.pth --format dota --out-dir submissions/dota
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))

FORMATS = ('dota', 'dota_task2', 'fair1m', 'voc', 'pkl')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--format', nargs='+', choices=FORMATS, default=['dota'])
    p.add_argument('--out-dir', default='submissions',
                   help='result files go here (default submissions)')
    p.add_argument('--work-dir', default=None,
                   help='logs (default: <out-dir>/logs)')
    p.add_argument('--iou-thr', type=float, default=0.1)
    p.add_argument('--score-thr', type=float, default=0.0)
    p.add_argument('--no-merge', action='store_true',
                   help='the test images are full images, not tiles')
    p.add_argument('--keep-metrics', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def build_cfg(args) -> Config:
    """The config with the submission evaluator (and dump) set."""
    from rsvheat_mm.engine.runner_utils import (ToolInputError,
                                                check_checkpoint_arg,
                                                check_work_dir)
    if not osp.isfile(args.config):
        raise ToolInputError(f'config {args.config} not found')
    check_checkpoint_arg(args.checkpoint, 'CHECKPOINT')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.load_from = args.checkpoint
    # logs go under --out-dir unless --work-dir says otherwise: nothing is
    # written into the current folder
    cfg.work_dir = args.work_dir or osp.join(args.out_dir, 'logs')
    check_work_dir(cfg.work_dir)
    cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
        dict(type='rsvheat_mm.ProgressBarHook')]
    metrics = []
    if args.keep_metrics:
        old = cfg.test_evaluator
        metrics += list(old) if isinstance(old, (list, tuple)) else [old]
    files = [f for f in args.format if f != 'pkl']
    if files:
        metrics.append(dict(
            type='rsvheat_mm.DetSubmissionMetric', out_dir=args.out_dir,
            formats=files, merge_patches=not args.no_merge,
            iou_thr=args.iou_thr, score_thr=args.score_thr))
    if 'pkl' in args.format:
        metrics.append(dict(type='mmdet.DumpDetResults',
                            out_file_path=osp.join(args.out_dir,
                                                   'results.pkl')))
    cfg.test_evaluator = metrics
    return cfg


def run(args) -> dict:
    """Test with the submission evaluator; returns the metrics."""
    import rsvheat_mm  # noqa: F401
    from mmengine.runner import Runner
    from rsvheat_mm.engine.runner_utils import print_summary
    cfg = build_cfg(args)
    metrics = Runner.from_cfg(cfg).test()
    if args.keep_metrics:
        print_summary(metrics)
    print(f'wrote {", ".join(args.format)} results to {args.out_dir} '
          f'(logs: {cfg.work_dir})')
    return metrics


def main(argv=None):
    from rsvheat_mm.engine.runner_utils import run_tool
    return run_tool(run, parse_args(argv))


if __name__ == '__main__':
    main()
