"""Check an exported ONNX file against the PyTorch model with onnxruntime.

Usage::

    python tools/deployment/verify_onnx.py CONFIG CHECKPOINT FILE.onnx \
        [--part backbone|model] [--image IMG [IMG_B]] [--runs 3] \
        [--repeat 5] [--tol 1e-4] [--seed 0]

Runs both on ``--runs`` fresh random inputs (standard normal, the size read
from the ONNX file) and, with ``--image`` (two files for a change
detector), on a real tile: cropped / padded to the exported size and
normalised with the config's data preprocessor mean / std. Prints the max
relative error (``max|torch - ort| / max|torch|``) per output, whether the
class maps (argmax over the logits) are identical, and the best of
``--repeat`` CPU timings of both. Exit 0 when every error is below
``--tol`` (default 1e-4) and every class map is identical, 2 when not, 1 on
bad input.
"""
import argparse
import sys
from pathlib import Path

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('onnx')
    p.add_argument('--part', choices=('backbone', 'model'), default='model',
                   help='the part the file was exported from (default model)')
    p.add_argument('--image', nargs='+', default=None,
                   help='a real tile (two for a change detector: A B)')
    p.add_argument('--runs', type=int, default=3,
                   help='random inputs (default 3)')
    p.add_argument('--repeat', type=int, default=5,
                   help='timed runs per engine, best kept (default 5)')
    p.add_argument('--tol', type=float, default=1e-4,
                   help='max relative error (default 1e-4)')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def load_tile(path: str, size, cfg, channels: int) -> np.ndarray:
    """[1, C, H, W] float32: the image cropped / zero-padded to ``size``,
    normalised with the config's data preprocessor."""
    import mmcv
    if not Path(path).is_file():
        raise FileNotFoundError(f'Image not found: {path}')
    img = mmcv.imread(path, 'unchanged')
    if img is None:
        raise ValueError(f'{path} is not an image cv2 can read')
    img = img[..., None] if img.ndim == 2 else img
    pre = cfg.model.get('data_preprocessor', None) or {}
    if pre.get('bgr_to_rgb', False) and img.shape[2] == 3:
        img = img[..., ::-1]
    h, w = size
    out = np.zeros((h, w, img.shape[2]), np.float32)
    crop = img[:h, :w].astype(np.float32)
    out[:crop.shape[0], :crop.shape[1]] = crop
    if pre.get('mean') is not None:
        out = (out - np.asarray(pre['mean'], np.float32)[:out.shape[2]]) / \
            np.asarray(pre['std'], np.float32)[:out.shape[2]]
    if out.shape[2] != channels:
        raise ValueError(f'{path} has {out.shape[2]} bands; the model takes '
                         f'{channels} per input')
    return out.transpose(2, 0, 1)[None].copy()


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from rsvheat_mm.apis.deployment import (CheckpointMismatchError,
                                            build_export_model, onnx_summary,
                                            relative_error, run_onnxruntime,
                                            torch_outputs)
    from rsvheat_mm.utils.safe_load import CheckpointFileError
    try:
        if not Path(args.onnx).is_file():
            raise FileNotFoundError(f'ONNX file not found: {args.onnx}')
        info = onnx_summary(args.onnx)
        model = build_export_model(args.config, args.checkpoint, args.part)
        names = [n for n, _, _ in info['inputs']]
        shapes = [[d if isinstance(d, int) and d > 0 else 1 for d in s]
                  for _, s, _ in info['inputs']]
        size = tuple(shapes[0][2:])
        channels = shapes[0][1]
        cases = []
        gen = torch.Generator().manual_seed(args.seed)
        for r in range(args.runs):
            cases.append((f'random #{r}', [
                torch.randn(*s, generator=gen).numpy() for s in shapes]))
        if args.image:
            if len(args.image) != len(names):
                raise ValueError(f'--image: the file takes {len(names)} '
                                 f'input(s) ({", ".join(names)}), got '
                                 f'{len(args.image)} image(s)')
            from mmengine.config import Config
            cfg = Config.fromfile(args.config)
            cases.append((f'tile {Path(args.image[0]).name}', [
                load_tile(p, size, cfg, channels) for p in args.image]))
    except (CheckpointMismatchError, CheckpointFileError, FileNotFoundError,
            ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    outs_names = [n for n, _, _ in info['outputs']]
    ok = True
    t_torch = t_ort = None
    for title, arrays in cases:
        ref, tt = torch_outputs(model, args.part, size,
                                [torch.from_numpy(a) for a in arrays],
                                args.repeat, channels)
        got, to = run_onnxruntime(args.onnx, dict(zip(names, arrays)),
                                  args.repeat)
        t_torch, t_ort = tt, to
        errs = [relative_error(r, g) for r, g in zip(ref, got)]
        line = ', '.join(f'{n} {e:.2e}' for n, e in zip(outs_names, errs))
        ok &= max(errs) < args.tol
        if outs_names == ['logits']:  # a segmentor / change detector
            same = bool((ref[0].argmax(1) == got[0].argmax(1)).all())
            line += f'; class map {"identical" if same else "DIFFERS"}'
            ok &= same
        print(f'{title}: max rel err {line}')
    print(f'CPU time per run (best of {args.repeat}, input '
          f'{size[0]}x{size[1]}): torch {t_torch * 1e3:.1f} ms, '
          f'onnxruntime {t_ort * 1e3:.1f} ms')
    print('parity: ok' if ok else f'parity: FAILED (tol {args.tol})')
    return 0 if ok else 2


if __name__ == '__main__':
    sys.exit(main())
