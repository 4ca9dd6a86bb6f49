#!/usr/bin/env python
"""Evaluate a checkpoint with any rsvheat_mm config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]

Prints every scalar metric on its own line (``undefined`` for a 0/0
score). A missing, empty, truncated or foreign checkpoint, a work dir that
is a file or an empty dataset folder ends with one line naming it (exit 1).
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Test (and evaluate) a model')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--work-dir', help='where to save the evaluation logs')
    p.add_argument('--out', help='dump predictions to a pickle file')
    p.add_argument('--show-dir', help='save painted predictions in this '
                   'folder (a path from the current folder; every task kind: '
                   'mmdet / mmrotate / mmseg / change detection / '
                   'mmpretrain)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none', help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    from rsvheat_mm.engine.runner_utils import run_tool
    return run_tool(run, parse_args(argv))


def run(args) -> dict:
    """Evaluate; returns the metrics dict (printed one per line)."""
    import rsvheat_mm  # noqa: F401
    from mmengine.runner import Runner
    from rsvheat_mm.engine.runner_utils import (ToolInputError,
                                                adapt_distributed_cfg,
                                                check_checkpoint_arg,
                                                enable_show_dir, load_cfg,
                                                print_summary)

    if not osp.isfile(args.checkpoint):
        raise ToolInputError(f'checkpoint {args.checkpoint} not found')
    check_checkpoint_arg(args.checkpoint, 'CHECKPOINT')
    cfg = load_cfg(args.config, args.launcher, args.cfg_options,
                   args.work_dir)
    if cfg.get('test_dataloader', None) is None or cfg.get(
            'test_cfg', None) is None:
        raise ToolInputError(
            f'{args.config} has no test_dataloader / test_cfg: there is '
            f'nothing to evaluate (a pretraining config is evaluated by '
            f'fine-tuning a downstream config from its weights)')
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.show_dir:
        enable_show_dir(cfg, args.show_dir)
    adapt_distributed_cfg(cfg)
    runner = Runner.from_cfg(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    print_summary(metrics)
    if args.show_dir:
        print(f'painted predictions: {osp.abspath(args.show_dir)}')
    return metrics


if __name__ == '__main__':
    main()
