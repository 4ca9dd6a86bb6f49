#!/usr/bin/env python
"""Train any rsvheat_mm config (mmdet / mmseg / mmrotate / mmpretrain).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

Distributed: ``tools/dist_train.sh CONFIG NGPUS`` (torchrun). Without CUDA
the processes talk over gloo on the CPU (used by the tests).

Bad input ends with one line naming the problem and the fix (exit 1): a
work dir that is a file, a missing or broken checkpoint (``--resume`` of a
truncated one points at the newest intact one beside it), a pretrained
``init_cfg`` checkpoint that is not there (see docs/weights.md), ``--amp``
without a GPU (mixed precision is GPU-only), an empty dataset folder.
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a model')
    p.add_argument('config', help='train config file path')
    p.add_argument('--work-dir', help='where to save logs and checkpoints')
    p.add_argument('--resume', nargs='?', type=str, const='auto',
                   help='resume from CKPT, or from the latest checkpoint in '
                   'the work dir when no path is given')
    p.add_argument('--amp', action='store_true',
                   help='automatic mixed precision (AmpOptimWrapper; needs a '
                   'GPU)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none', help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def setup_cfg(args) -> Config:
    """The config with the command line applied and checked.

    Raises:
        ToolInputError: a missing config, a work dir that is a file, a
            missing / broken pretrained or resume checkpoint, ``--amp`` on
            a machine without a GPU.
    """
    import rsvheat_mm  # noqa: F401  (registries, safe checkpoint loading)
    from rsvheat_mm.engine.runner_utils import (adapt_distributed_cfg,
                                                apply_amp,
                                                check_checkpoint_arg,
                                                check_pretrained, load_cfg,
                                                note_from_scratch)

    cfg = load_cfg(args.config, args.launcher, args.cfg_options,
                   args.work_dir)
    apply_amp(cfg, args.amp)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        check_checkpoint_arg(args.resume, '--resume')
        cfg.resume = True
        cfg.load_from = args.resume
    else:
        check_checkpoint_arg(cfg.get('load_from', None), 'load_from')
    check_pretrained(cfg, args.config)
    note_from_scratch(cfg)
    adapt_distributed_cfg(cfg)
    return cfg


def run(args) -> None:
    """Build the runner from the checked config and train."""
    cfg = setup_cfg(args)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


def main(argv=None):
    args = parse_args(argv)
    from rsvheat_mm.engine.runner_utils import run_tool
    run_tool(run, args, resume=args.resume is not None)


if __name__ == '__main__':
    sys.exit(main())
