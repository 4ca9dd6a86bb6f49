#!/usr/bin/env python
"""Evaluate a checkpoint with any rsvheat_mm config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]
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
    p.add_argument('--show-dir', help='save painted predictions here '
                   '(relative to the work dir\'s timestamped folder)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none', help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    import rsvheat_mm  # noqa: F401
    from mmengine.runner import Runner
    from rsvheat_mm.engine.runner_utils import (adapt_distributed_cfg,
                                                enable_show_dir, load_cfg)

    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_cfg(args.config, args.launcher, args.cfg_options,
                   args.work_dir)
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
    print({k: round(float(v), 4) for k, v in metrics.items()
           if isinstance(v, (int, float))})


if __name__ == '__main__':
    sys.exit(main())
