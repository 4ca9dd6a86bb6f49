#!/usr/bin/env python
"""Show what the heat conduction does inside a trained RS-vHeat.

    python tools/visualize_heat.py CONFIG CHECKPOINT IMAGE \
        [--out heat.png] [--size H W] [--block 0] [--device cpu]

For one image and a checkpoint (of any toolbox's model whose backbone is
RSvHeat, or a bare backbone state dict; ``none`` keeps the initialisation)
it writes one PNG with a row per stage:

1. the learned decay spectrum ``exp(-K (w_n^2 + v_m^2))`` of the chosen
   block, averaged over channels, at that stage's feature size (DC at the
   top-left; bright = kept, dark = damped);
2. the mean diffusivity ``K`` per frequency;
3. the feature "temperature field" ``u`` entering the heat transform
   (channel mean), and 4. the same field after diffusion.
"""
import argparse
import sys
from pathlib import Path

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
    from rsvheat_mm.utils.checkpoint import load_checkpoint_file

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


def main(argv=None) -> int:
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from rsvheat_mm.models.utils.heat_math import frequency_grid, heat_transform

    backbone, pre = build_backbone(args.config, args.checkpoint, args.device)
    stem = next(iter(backbone.in_channels))
    x = load_image(args.image, args.size, pre, backbone.in_channels[stem])
    captured = {}

    def grab(stage):
        def hook(op, inputs):
            if stage not in captured:
                captured[stage] = [t.detach() if torch.is_tensor(t) else t
                                   for t in inputs]
        return hook

    handles = []
    for i, stage in enumerate(backbone.stages):
        j = min(args.block, len(stage.blocks) - 1)
        handles.append(stage.blocks[j].op.register_forward_pre_hook(grab(i)))
    with torch.no_grad():
        backbone(x.to(args.device), modality=stem)
        rows = []
        for i, stage in enumerate(backbone.stages):
            op = stage.blocks[min(args.block, len(stage.blocks) - 1)].op
            feat, decay, sce = captured[i]
            h, w = decay.shape[:2]
            k = -torch.log(decay.clamp_min(1e-30)) / frequency_grid(
                h, w, decay.dtype, decay.device).clamp_min(1e-12)[..., None]
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
            rows.append((decay.mean(-1).cpu(), k.mean(-1).cpu(),
                         u[0].mean(-1).cpu(), after[0].mean(-1).cpu()))
    for hd in handles:
        hd.remove()
    titles = ['decay spectrum (mean over C)', 'diffusivity K',
              'temperature field before', 'after diffusion']
    fig, axes = plt.subplots(len(rows), 4, figsize=(13, 3.1 * len(rows)),
                             squeeze=False)
    for i, row in enumerate(rows):
        for j, (img, title) in enumerate(zip(row, titles)):
            ax = axes[i, j]
            vmin = vmax = None
            if j >= 2:  # same colour scale before / after
                vmin = float(min(row[2].min(), row[3].min()))
                vmax = float(max(row[2].max(), row[3].max()))
            im = ax.imshow(img.numpy(), cmap='inferno' if j < 2 else 'coolwarm',
                           vmin=vmin, vmax=vmax)
            ax.set_title(f'stage {i}: {title}', fontsize=8)
            ax.axis('off')
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
