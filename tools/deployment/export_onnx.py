"""Export an RS-vHeat model to ONNX at a fixed input size.

Usage::

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --shape H W \
        [--opset 17] [--dynamic] [--part backbone|model] --out FILE.onnx

``--part backbone`` exports the backbone (outputs ``feat0 ... featN``);
``--part model`` (default) a segmentor's logits (input ``input``), a
siamese change detector's logits (inputs ``img_a``, ``img_b``) or a
detector's backbone + neck maps (``neck0 ... neckN``; the RoI / NMS stages
are mmcv custom ops, see docs/deployment.md for mmdeploy). Inputs are
the normalised images (the data preprocessor's mean / std are not in the
graph). ``--dynamic`` makes only the batch axis dynamic. The checkpoint is
checked against the config before any export work. The file is written to
a temporary name, checked with ``onnx.checker`` and renamed. Exit 1 with one
line on bad input. See docs/deployment.md.
"""
import argparse
import sys
from pathlib import Path


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--shape', nargs=2, type=int, required=True,
                   metavar=('H', 'W'), help='input height and width (>= 32)')
    p.add_argument('--opset', type=int, default=17,
                   help='ONNX opset (default 17)')
    p.add_argument('--dynamic', action='store_true',
                   help='dynamic batch axis (H, W stay fixed)')
    p.add_argument('--part', choices=('backbone', 'model'), default='model',
                   help='what to export (default: model)')
    p.add_argument('--out', required=True, help='the .onnx file to write')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from rsvheat_mm.apis.deployment import (CheckpointMismatchError,
                                            build_export_model, export_onnx)
    from rsvheat_mm.utils.safe_load import CheckpointFileError
    out = Path(args.out).resolve()
    for given in (args.config, args.checkpoint):
        if Path(given).resolve() == out:
            print(f'error: --out {args.out} would overwrite the input '
                  f'{given}; choose another file', file=sys.stderr)
            return 1
    h, w = args.shape
    if min(h, w) < 32:
        print(f'error: --shape {h} {w}: both sides must be >= 32 px',
              file=sys.stderr)
        return 1
    try:
        model = build_export_model(args.config, args.checkpoint, args.part)
        info = export_onnx(model, out, args.part, (h, w), args.opset,
                           args.dynamic)
    except (CheckpointMismatchError, CheckpointFileError, FileNotFoundError,
            ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'wrote {out} ({info["bytes"] / 2**20:.2f} MiB, opset '
          f'{info["opset"]}, {info["nodes"]} nodes, onnx.checker: ok)')
    for kind in ('inputs', 'outputs'):
        for name, shape, dtype in info[kind]:
            print(f'  {kind[:-1]:6s} {name:8s} {dtype} {shape}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
