#!/usr/bin/env python
"""Show what the heat conduction does inside a trained RS-vHeat.

    python tools/visualize_heat.py CONFIG CHECKPOINT IMAGE \
        [--out heat.png] [--size H W] [--block 0] [--device cpu]

For one image and a checkpoint (of any toolbox's model whose backbone is
RSvHeat, or a bare backbone state dict; ``none`` keeps the initialisation)
it writes one PNG: the input image on top, then a row per stage with

1. the learned decay spectrum ``exp(-K (w_n^2 + v_m^2))`` of the chosen
   block, averaged over channels, at that stage's feature size (DC at the
   top-left; bright = kept, dark = damped);
2. the mean diffusivity ``K`` per frequency;
3. the feature "temperature field" ``u`` entering the heat transform
   (channel mean), 4. the same field after diffusion (same colour scale),
   and 5. their difference, after - before (its own symmetric scale: the
   two fields look alike, the difference shows what diffusion removed).

The PNG is written under a temporary name and renamed when complete.
"""
import argparse
from typing import Dict, List

import numpy as np
import torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help="checkpoint path, or 'none'")
    p.add_argument('image')
    p.add_argument('--out', default='heat.png')
    p.add_argument('--size', type=int, nargs=2, default=None,
                   help='resize the image to H W first')
    p.add_argument('--block', type=int, default=0,
                   help='block index inside each stage')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def build_backbone(config: str, checkpoint: str, device: str):
    """Build the config's model, load the checkpoint, return its RSvHeat."""
    import rsvheat_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    from rsvheat_mm.models.backbones import RSvHeat
    from rsvheat_mm.utils.safe_load import load_checkpoint_file

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'rsvheat_mm'))
    model = MODELS.build(cfg.model)
    backbone = model if isinstance(model, RSvHeat) else getattr(
        model, 'backbone', None)
    if not isinstance(backbone, RSvHeat):
        raise ValueError(f'{config}: the model has no RSvHeat backbone')
    if checkpoint.lower() != 'none':
        obj = load_checkpoint_file(checkpoint)
        sd = obj.get('state_dict', obj) if isinstance(obj, dict) else obj
        if any(k.startswith('backbone.') for k in sd):
            model.load_state_dict(sd, strict=False)
        else:
            backbone.load_state_dict(sd, strict=True)
    pre = cfg.model.get('data_preprocessor', {}) or {}
    return backbone.to(device).eval(), pre


def load_image(path: str, size, pre: dict, channels: int) -> torch.Tensor:
    from PIL import Image
    img = Image.open(path)
    img = img.convert('L' if channels == 1 else 'RGB')
    if size:
        img = img.resize((size[1], size[0]), Image.BILINEAR)
    arr = np.asarray(img, np.float32)
    arr = arr[..., None] if arr.ndim == 2 else arr
    mean = np.asarray(pre.get('mean', [127.5] * channels), np.float32)
    std = np.asarray(pre.get('std', [64.0] * channels), np.float32)
    arr = (arr - mean[:channels]) / std[:channels]
    return torch.from_numpy(arr).permute(2, 0, 1)[None]


def heat_fields(backbone, x: torch.Tensor, stem: str, block: int
                ) -> List[Dict[str, torch.Tensor]]:
    """Per stage: the decay spectrum, the diffusivity K, the temperature
    field before and after the heat transform and their difference.

    Args:
        backbone: An ``RSvHeat`` in eval mode.
        x: The normalised input ``[1, C, H, W]``.
        stem: The modality to run.
        block: Block index inside each stage (clamped to the last one).

    Returns:
        One dict per stage with ``decay``, ``k``, ``before``, ``after`` and
        ``diff`` (= after - before), each ``[h, w]`` (channel means).
    """
    from rsvheat_mm.models.utils.heat_math import frequency_grid, heat_transform
    captured = {}

    def grab(stage):
        def hook(op, inputs):
            if stage not in captured:
                captured[stage] = [t.detach() if torch.is_tensor(t) else t
                                   for t in inputs]
        return hook

    handles = []
    for i, stage in enumerate(backbone.stages):
        j = min(block, len(stage.blocks) - 1)
        handles.append(stage.blocks[j].op.register_forward_pre_hook(grab(i)))
    rows = []
    try:
        with torch.no_grad():
            backbone(x, modality=stem)
            for i, stage in enumerate(backbone.stages):
                op = stage.blocks[min(block, len(stage.blocks) - 1)].op
                feat, decay, sce = captured[i]
                h, w = decay.shape[:2]
                k = -torch.log(decay.clamp_min(1e-30)) / frequency_grid(
                    h, w, decay.dtype,
                    decay.device).clamp_min(1e-12)[..., None]
                k[0, 0] = k.flatten(0, 1)[1:].mean(0)  # DC: K undefined
                # recompute the op's signal u, then diffuse it
                y = feat
                if op.use_sce:
                    y = op.norm1(torch.relu(y + sce))
                y = op.dwconv(y).permute(0, 2, 3, 1)
                c = op.dims
                u = torch.nn.functional.linear(y, op.linear.weight[:c],
                                               op.linear.bias[:c])
                after = heat_transform(u.float(), decay.float())
                before = u[0].float().mean(-1).cpu()
                after = after[0].mean(-1).cpu()
                rows.append(dict(decay=decay.mean(-1).cpu(),
                                 k=k.mean(-1).cpu(), before=before,
                                 after=after, diff=after - before))
    finally:
        for hd in handles:
            hd.remove()
    return rows


#: panel titles of each stage row, in order
TITLES = ('decay spectrum', 'diffusivity K', 'field before',
          'field after diffusion', 'after - before')


def draw(image: np.ndarray, rows: List[Dict[str, torch.Tensor]], out: str
         ) -> List[str]:
    """Save the picture: the input image on top, then one row per stage
    (:data:`TITLES`); before / after share one colour scale, the difference
    has its own, symmetric about 0. Returns every panel title."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    ncol = len(TITLES)
    fig = plt.figure(figsize=(3.0 * ncol, 3.0 * (len(rows) + 1)))
    grid = fig.add_gridspec(len(rows) + 1, ncol)
    ax = fig.add_subplot(grid[0, :2])
    ax.imshow(image, cmap='gray' if image.ndim == 2 else None)
    ax.set_title(f'input image ({image.shape[1]} x {image.shape[0]} px)',
                 fontsize=9)
    ax.axis('off')
    note = fig.add_subplot(grid[0, 2:])
    note.axis('off')
    note.text(0, 0.5, 'One row per stage of the backbone (one block each), '
              'channel means.\n'
              'decay spectrum: exp(-K w^2) per frequency, DC top-left '
              '(bright = kept).\n'
              'field before / after: the "temperature" entering the heat '
              'transform\nand leaving it (one colour scale); they look '
              'alike, so\nafter - before shows what diffusion changed '
              '(red = warmer after).', fontsize=9, va='center')
    titles = [ax.get_title()]
    for i, row in enumerate(rows):
        lim = float(max(row['before'].abs().max(), row['after'].abs().max()))
        dlim = float(row['diff'].abs().max()) or 1.0
        specs = [(row['decay'], 'inferno', None, None),
                 (row['k'], 'inferno', None, None),
                 (row['before'], 'coolwarm', -lim, lim),
                 (row['after'], 'coolwarm', -lim, lim),
                 (row['diff'], 'RdBu_r', -dlim, dlim)]
        for j, ((img, cmap, vmin, vmax), title) in enumerate(
                zip(specs, TITLES)):
            ax = fig.add_subplot(grid[i + 1, j])
            im = ax.imshow(img.numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
            h, w = img.shape
            ax.set_title(f'stage {i} ({h}x{w}): {title}', fontsize=8)
            titles.append(ax.get_title())
            ax.axis('off')
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    from rsvheat_mm.engine.runner_utils import save_figure
    save_figure(fig, out)
    return titles


def run(args) -> dict:
    """Build, run and draw; returns ``dict(rows, titles, out)``."""
    from PIL import Image
    backbone, pre = build_backbone(args.config, args.checkpoint, args.device)
    stem = next(iter(backbone.in_channels))
    channels = backbone.in_channels[stem]
    x = load_image(args.image, args.size, pre, channels)
    rows = heat_fields(backbone, x.to(args.device), stem, args.block)
    img = Image.open(args.image).convert('L' if channels == 1 else 'RGB')
    if args.size:
        img = img.resize((args.size[1], args.size[0]), Image.BILINEAR)
    titles = draw(np.asarray(img), rows, args.out)
    print(f'wrote {args.out}')
    return dict(rows=rows, titles=titles, out=args.out)


def main(argv=None) -> dict:
    from rsvheat_mm.engine.runner_utils import run_tool
    return run_tool(run, parse_args(argv))


if __name__ == '__main__':
    main()
