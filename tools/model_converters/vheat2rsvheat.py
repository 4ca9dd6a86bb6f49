#!/usr/bin/env python
"""Convert official vHeat / RS-vHeat checkpoints to rsvheat_mm's keys.

Usage:
    python tools/model_converters/vheat2rsvheat.py SRC DST \
        [--key model|model_ema|state_dict] [--img-size 224] \
        [--fve-resize bilinear|bicubic|zero_pad] [--allow-partial]

Handles the classification release (``model`` / ``model_ema``), the mmengine
detection / segmentation releases (``state_dict``, ``backbone.`` keys,
``outnorm``), RS-vHeat (``patch_embed_opt|sar``, ``heat_capacity``,
``encoder.`` + ``fuse_frequency``) and bare state dicts. Prints what it
mapped, resized and dropped; exits with 2 on a layout it does not know and on
an inference-only (``k_exp``) checkpoint unless ``--allow-partial``.
The output is a plain tensor state dict (loads with weights_only=True) and
is verified by loading it into an RSvHeat built from the implied arch. The
output must be a file path other than the input (the same file under another
name or through a link is refused, and so is a folder); it is written to a
temporary file in the output folder and renamed when complete, so a failed
run leaves nothing behind and never touches the input.
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help='official checkpoint (.pth)')
    p.add_argument('dst', help='output path (plain tensor state dict)')
    p.add_argument('--key', default=None,
                   help="wrapper entry to read (default: 'state_dict', then "
                   "'model', then a bare dict); 'model_ema' for the EMA copy")
    p.add_argument('--prefix', default=None,
                   help="only keys under this prefix (default: auto "
                   "'backbone.' / 'encoder.')")
    p.add_argument('--img-size', type=int, nargs='+', default=None,
                   help='store FVE/SCE for this pretraining size (H [W]); '
                   'default: keep the stored size')
    p.add_argument('--fve-resize', default='bilinear',
                   choices=['bilinear', 'bicubic', 'zero_pad'],
                   help='FVE resize policy for --img-size (SCE: bilinear)')
    p.add_argument('--allow-partial', action='store_true',
                   help='write what can be converted from a deploy (k_exp) '
                   'checkpoint; FVE and to_k are then missing')
    return p.parse_args(argv)


def check_output_path(src: str, dst: str) -> str:
    """Why ``dst`` cannot be written for input ``src``, or ``''``.

    Refuses the input itself (also through a symlink or a hard link), a
    folder and a path ending with a separator.
    """
    s, d = Path(src), Path(dst)
    if dst.endswith(('/', os.sep)) or d.is_dir():
        return (f'output {dst} is a folder; give the output file path, e.g. '
                f'{d / (s.stem + "_rsvheat.pth")}')
    same = d.resolve() == s.resolve()
    if not same and d.exists() and s.exists():
        same = os.path.samefile(d, s)
    if same:
        return (f'output {dst} is the input checkpoint {src}: converting in '
                f'place would replace it (heads, meta, optimizer state) by a '
                f'bare backbone state dict. Give another output path, e.g. '
                f'{s.with_name(s.stem + "_rsvheat.pth")}')
    return ''


def save_atomic(sd, dst: Path) -> None:
    """``torch.save`` to a temporary file beside ``dst``, then rename it to
    ``dst``; the temporary file is removed if anything fails."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{dst.name}.', suffix='.tmp',
                               dir=dst.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(sd, f)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None) -> int:
    args = parse_args(argv)
    problem = check_output_path(args.src, args.dst)
    if problem:
        print(f'error: {problem}; nothing written.', file=sys.stderr)
        return 2
    from rsvheat_mm.models.backbones import RSvHeat
    from rsvheat_mm.models.utils.ckpt_convert import (
        UnknownLayoutError, convert_state_dict, extract_state_dict,
        infer_arch)
    from rsvheat_mm.models.utils.embed import resize_embedding
    from rsvheat_mm.models.utils.heat_math import stage_sizes
    from rsvheat_mm.utils.safe_load import load_checkpoint_file

    try:
        raw = extract_state_dict(load_checkpoint_file(args.src), args.key)
    except (UnknownLayoutError, KeyError, RuntimeError,
            FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    sd, report = convert_state_dict(raw, args.prefix)
    print(report.summary())
    if report.unknown:
        print(f'error: {len(report.unknown)} keys of an unknown layout, e.g. '
              f'{report.unknown[:10]}; nothing written. Is this a vHeat / '
              f'RS-vHeat checkpoint? Try --key or --prefix.', file=sys.stderr)
        return 2
    if report.deploy:
        msg = (f'{len(report.deploy)} blocks store k_exp = exp(-K w^2) for '
               f'one input size (an inference checkpoint). Recoverable: every '
               f'other weight ({len(sd)} tensors). Not recoverable: the FVE '
               f'and to_k (K = ReLU(W FVE + b) is many-to-one)'
               + ('' if any(k.startswith('sce.') for k in sd) else
                  ' and the SCE, which upstream deletes in deploy mode') + '.')
        if not args.allow_partial:
            print(f'error: {msg} Use the training checkpoint, or pass '
                  f'--allow-partial to write the recoverable part.',
                  file=sys.stderr)
            return 2
        print(f'warning: {msg} Writing the recoverable part; fine-tune to '
              f'learn FVE/to_k again (load it with init_cfg=dict('
              f"type='Pretrained', checkpoint=..., strict=False)).")
    if args.img_size:
        h = args.img_size[0]
        w = args.img_size[-1]
        for i, size in enumerate(stage_sizes(h, w, num_stages=8)):
            for name, mode in (('fve', args.fve_resize), ('sce', 'bilinear')):
                k = f'{name}.{i}'
                if k in sd and tuple(sd[k].shape[:2]) != size:
                    old = tuple(sd[k].shape[:2])
                    sd[k] = resize_embedding(sd[k], size, mode)
                    print(f'  resize {k}: {old} -> {size} ({mode})')
    try:
        kwargs = infer_arch(sd)
    except UnknownLayoutError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'implied backbone: RSvHeat(**{kwargs}) (set post_norm / the named '
          f'arch yourself: shapes do not show it)')
    model = RSvHeat(**kwargs)
    own = model.state_dict()
    bad = [k for k, v in sd.items() if k in own and own[k].shape != v.shape]
    extra = [k for k in sd if k not in own]
    if bad or extra:
        print(f'error: converted weights do not load into the implied model: '
              f'shape mismatches {bad[:10]}, unexpected {extra[:10]}',
              file=sys.stderr)
        return 2
    missing = [k for k in own if k not in sd]
    if missing:
        print(f'note: {len(missing)} keys the model has but the checkpoint '
              f'does not (they keep their init): {missing[:8]}')
    dst = Path(args.dst)
    try:
        save_atomic({k: v.contiguous() for k, v in sd.items()}, dst)
    except OSError as e:
        print(f'error: could not write {dst}: {e}; nothing written.',
              file=sys.stderr)
        return 2
    print(f'wrote {len(sd)} tensors to {dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
