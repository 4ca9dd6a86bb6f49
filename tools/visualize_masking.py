"""Draw RS-vHeat's frequency-domain hierarchical masking, one PNG per image.

Each PNG is a grid: the input, the encoder input (low + masked high), the
low-frequency view, the masked high-frequency view, the DCT spectrum
(log magnitude) with the low band, the ring/sector cells and the dropped
coefficients drawn on it, and -- with ``--checkpoint`` -- the decoder's
reconstruction and its error.

Usage::

    # masks only (paper defaults)
    python tools/visualize_masking.py img1.png sar.tif --out-dir vis/
    # with a pretraining config and checkpoint (masks, preprocessing and the
    # reconstruction of that model)
    python tools/visualize_masking.py img1.png --config \
        configs/rsvheat_pretrain/<config>.py --checkpoint work_dirs/.../x.pth
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Visualise RS-vHeat masking')
    p.add_argument('images', nargs='+', help='image files (any band count)')
    p.add_argument('--config', help='pretraining config (masking, '
                   'preprocessing and model); default: paper defaults')
    p.add_argument('--checkpoint', help='pretraining checkpoint: adds the '
                   'reconstruction (needs --config)')
    p.add_argument('--modality', default=None, help='stem / modality of '
                   'all images (default: 1 band -> sar, 3 -> opt)')
    p.add_argument('--size', type=int, default=224,
                   help='resize to size x size (default: 224)')
    p.add_argument('--ratio', type=float, default=None,
                   help='override the masked fraction of the high band')
    p.add_argument('--seed', type=int, default=0, help='mask seed (0)')
    p.add_argument('--out-dir', default='vis_masking',
                   help='output folder (default: vis_masking)')
    return p.parse_args(argv)


def build(args):
    """(masking, preprocessor, model or None)."""
    import rsvheat_mm  # noqa: F401  (registers everything)
    from rsvheat_mm.models.selfsup import (FrequencyHierarchicalMasking,
                                    RSMultiModalDataPreprocessor)
    model = None
    if args.config:
        from mmengine.config import Config
        from mmengine.registry import DefaultScope
        from mmpretrain.registry import MODELS
        cfg = Config.fromfile(args.config)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(cfg.model)
        if args.checkpoint:
            from rsvheat_mm.utils.safe_load import load_checkpoint_file
            obj = load_checkpoint_file(args.checkpoint)
            model.load_state_dict(obj.get('state_dict', obj), strict=True)
        model.eval()
        masking, pre = model.masking, model.data_preprocessor
    elif args.checkpoint:
        raise SystemExit('--checkpoint needs --config (the model layout)')
    else:
        masking = FrequencyHierarchicalMasking()
        pre = RSMultiModalDataPreprocessor()
    if args.ratio is not None:
        masking = FrequencyHierarchicalMasking(
            ratio=args.ratio, low_radius=masking.low_radius,
            num_rings=masking.num_rings, num_sectors=masking.num_sectors)
    return masking, pre, model


def load(path: str, modality: Optional[str], size: int, pre) -> tuple:
    """Read, resize, pack and normalise one image -> (modality, x)."""
    from mmcv.transforms import LoadImageFromFile
    from rsvheat_mm.datasets.transforms import (LoadMultiModalImages,
                                               MultiModalResize,
                                               PackMultiModalInputs)
    if modality is None:
        img = LoadImageFromFile(color_type='unchanged').transform(
            {'img_path': path})['img']
        bands = 1 if img.ndim == 2 else img.shape[2]
        match = [m for m, c in pre.channels.items()
                 if c == bands or (c == 3 and bands == 4)]
        if len(match) != 1:
            raise SystemExit(f'{path}: {bands} band(s); pass --modality '
                             f'(one of {list(pre.channels)})')
        modality = match[0]
    results = {'img_path': {modality: path}}
    for t in (LoadMultiModalImages(channels=pre.channels),
              MultiModalResize(size), PackMultiModalInputs()):
        results = t(results)
    data = pre(dict(inputs=[results['inputs']],
                    data_samples=[results['data_samples']]))
    return modality, data['inputs'][modality]


def _display(x: torch.Tensor, lo=None, hi=None):
    """[C, H, W] -> image in [0, 1] with a 2-98 % stretch of the input."""
    a = x.detach().float().cpu().numpy()
    a = a[0] if a.shape[0] == 1 else a[:3].transpose(1, 2, 0)
    if lo is None:
        lo, hi = np.percentile(a, 2), np.percentile(a, 98)
    return np.clip((a - lo) / max(hi - lo, 1e-8), 0, 1), lo, hi


def draw(path: str, modality: str, x: torch.Tensor, out, rec,
         out_file: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    img, lo, hi = _display(x[0])
    panels = [('input', img), ('encoder input (low + masked high)',
                               _display(out.masked[0], lo, hi)[0]),
              ('low-frequency view', _display(out.low[0], lo, hi)[0]),
              ('masked high-frequency view', _display(out.high[0])[0])]
    spec = np.log1p(out.spectrum[0].abs().mean(0).cpu().numpy())
    cells = (out.ring_index[0] * 64 + out.sector_index[0]).cpu().numpy()
    if rec is not None:
        panels.append(('reconstruction', _display(rec[0], lo, hi)[0]))
        err = (rec[0] - x[0]).abs().mean(0).cpu().numpy()
        panels.append(('|error| (L1, normalised)', err))
    n = len(panels) + 1
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.6))
    for ax, (title, im) in zip(axes, panels):
        ax.imshow(im, cmap='gray' if im.ndim == 2 else None)
        ax.set_title(title, fontsize=8)
        ax.axis('off')
    ax = axes[len(panels)]
    ax.imshow(spec, cmap='magma')
    ring_sector = np.zeros(spec.shape + (4, ))
    edges = (np.diff(cells, axis=0, prepend=cells[:1]) != 0) | \
        (np.diff(cells, axis=1, prepend=cells[:, :1]) != 0)
    ring_sector[edges] = (1, 1, 1, 0.5)  # cell borders (rings x sectors)
    ring_sector[out.drop_mask[0].cpu().numpy()] = (0, 0.8, 1, 0.75)
    ax.imshow(ring_sector)
    ax.contour(out.low_mask[0].cpu().numpy().astype(float), levels=[0.5],
               colors='lime', linewidths=1)
    frac = float(out.drop_mask[0].sum() / out.high_mask[0].sum())
    ax.set_title(f'DCT log|X|: low band (green, rho={float(out.rho[0]):.3f})'
                 f'\ndropped (cyan) {frac:.1%} of high band', fontsize=8)
    ax.axis('off')
    fig.suptitle(f'{osp.basename(path)} ({modality})', fontsize=9)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    masking, pre, model = build(args)
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for i, path in enumerate(args.images):
        modality, x = load(path, args.modality, args.size, pre)
        gen = torch.Generator().manual_seed(args.seed + i)
        out = masking(x, gen)
        rec = None
        if model is not None and args.checkpoint:
            with torch.no_grad():
                feats = model.backbone(out.masked, modality=modality)
                rec = model.neck(feats, modality=modality,
                                 size=tuple(x.shape[-2:]))
        stem = osp.splitext(osp.basename(path))[0]
        out_file = osp.join(args.out_dir, f'{stem}_masking.png')
        draw(path, modality, x, out, rec, out_file)
        print(out_file)
        written.append(out_file)
    return written


if __name__ == '__main__':
    main()
