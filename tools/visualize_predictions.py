#!/usr/bin/env python
"""Draw a segmentation or change-detection model's predictions next to the
inputs and the ground truth.

    python tools/visualize_predictions.py CONFIG CHECKPOINT \
        [--out predictions.png] [--num 6] [--device cpu] \
        [--cfg-options k=v ...]

Writes one PNG with a titled column per panel and a row per test image:

* segmentation: ``image | ground truth | prediction``;
* change detection (samples with ``img_path2``): ``before (A) | after (B) |
  ground truth | prediction``;
* two-modality inputs (e.g. WHU-OPT-SAR): one column per modality.

Below the grid a legend gives each class's colour (the dataset palette).
Each row is labelled with the file name and its pixel accuracy, also
printed. Works with every mmseg config of this project (segmentation and
change detection); the test dataset's own pipeline and the model's
``test_cfg`` (whole / slide) are used, so what is drawn is what
``tools/test.py`` scores. The PNG is written under a temporary name and
renamed when complete.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', default='predictions.png',
                   help='output PNG (default predictions.png)')
    p.add_argument('--num', type=int, default=6,
                   help='images to draw (default 6)')
    p.add_argument('--device', default='cpu', help='torch device '
                   '(default cpu)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    return p.parse_args(argv)


def to_uint8(chw: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` (any dtype) -> displayable ``[H, W, 3]`` uint8: the
    first three channels (one channel as grey); non-8-bit data is stretched
    between its 2nd and 98th percentiles."""
    chw = np.asarray(chw, np.float64)
    img = chw[:3] if chw.shape[0] >= 3 else np.repeat(chw[:1], 3, axis=0)
    img = img.transpose(1, 2, 0)
    if img.min() < 0 or img.max() > 255 or not np.allclose(img, img.round()):
        lo, hi = np.percentile(img, (2, 98))
        img = (img - lo) / max(hi - lo, 1e-12) * 255
    return np.clip(img, 0, 255).astype(np.uint8)


def input_panels(inputs, metainfo: dict, bgr: bool
                 ) -> List[Tuple[str, np.ndarray]]:
    """``(title, RGB image)`` of each input image of one sample.

    Args:
        inputs: The packed ``inputs`` (a ``[C, H, W]`` tensor, or a dict of
            them for two-modality data).
        metainfo: The sample's metainfo (``img_path2`` marks a pair whose
            channels are ``A`` then ``B``).
        bgr: Whether 3-channel groups are BGR (the model's preprocessor
            converts BGR to RGB), so they are flipped for display.
    """
    def rgb(chw):
        arr = chw.cpu().numpy() if hasattr(chw, 'cpu') else np.asarray(chw)
        if bgr and arr.shape[0] == 3:
            arr = arr[::-1]
        return to_uint8(arr)

    if isinstance(inputs, dict):
        return [(f'{name} input', rgb(t)) for name, t in inputs.items()]
    if metainfo.get('img_path2'):
        half = inputs.shape[0] // 2
        return [('before (A)', rgb(inputs[:half])),
                ('after (B)', rgb(inputs[half:]))]
    return [('image', rgb(inputs))]


def paint(labels: np.ndarray, palette: np.ndarray,
          ignore_index: int = 255) -> np.ndarray:
    """Class map -> RGB with ``palette``; ignored pixels are grey."""
    out = np.full(labels.shape + (3, ), 128, np.uint8)
    valid = (labels != ignore_index) & (labels >= 0) & (labels < len(palette))
    out[valid] = palette[labels[valid]]
    return out


def draw_grid(rows: Sequence[Dict], classes: Sequence[str],
              palette: np.ndarray, out: str) -> List[str]:
    """Save the titled grid with a class legend; returns the column
    titles."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    titles = [t for t, _ in rows[0]['panels']]
    ncol, nrow = len(titles), len(rows)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.4 * ncol,
                                                  2.4 * nrow + 0.9),
                             squeeze=False)
    for r, row in enumerate(rows):
        for c, (title, img) in enumerate(row['panels']):
            ax = axes[r, c]
            ax.imshow(img, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=10)
        axes[r, 0].set_ylabel(row['label'], fontsize=7)
    handles = [Patch(facecolor=np.asarray(p) / 255., edgecolor='0.4',
                     label=name) for name, p in zip(classes, palette)]
    fig.legend(handles=handles, loc='lower center', frameon=False,
               ncol=min(len(handles), max(ncol * 2, 3)), fontsize=8,
               title='classes', title_fontsize=8)
    legend_rows = -(-len(handles) // min(len(handles), max(ncol * 2, 3)))
    fig.tight_layout(rect=(0, 0.05 + 0.04 * legend_rows / max(nrow, 1), 1, 1))
    from rsvheat_mm.engine.runner_utils import save_figure
    save_figure(fig, out)
    return titles


def run(args) -> dict:
    """Predict, draw and save; returns ``dict(titles, accuracy, out)``."""
    import torch
    import rsvheat_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmseg.apis import init_model
    from mmseg.registry import DATASETS
    from rsvheat_mm.engine.runner_utils import (ToolInputError,
                                                check_checkpoint_arg)

    check_checkpoint_arg(args.checkpoint, 'CHECKPOINT')
    if not osp.isfile(args.config):
        raise ToolInputError(f'config {args.config} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = init_model(cfg, args.checkpoint, device=args.device)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classes = list(dataset.metainfo['classes'])
    palette = np.array(dataset.metainfo.get('palette') or [
        [(37 * i) % 256, (97 * i) % 256, (173 * i) % 256]
        for i in range(len(classes))], np.uint8)
    bgr = bool(getattr(model.data_preprocessor, 'channel_conversion', False))
    rows, accs = [], []
    for i in range(min(args.num, len(dataset))):
        data = dataset[i]
        inputs_path = [data['data_samples'].metainfo.get(k) for k in
                       ('img_path', 'img_path2', 'sar_path')]
        if osp.realpath(args.out) in {osp.realpath(p) for p in inputs_path
                                      if p}:
            raise ToolInputError(f'--out {args.out} is one of the inputs')
        with torch.no_grad():
            out = model.test_step(pseudo_collate([data]))[0]
        pred = out.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
        panels = input_panels(data['inputs'], out.metainfo, bgr)
        name = Path(out.metainfo['img_path']).name
        label = name
        if 'gt_sem_seg' in out:
            gt = out.gt_sem_seg.data[0].cpu().numpy().astype(np.int64)
            valid = gt != 255
            acc = float((pred[valid] == gt[valid]).mean()) if valid.any() \
                else float('nan')
            accs.append(acc)
            panels.append(('ground truth', paint(gt, palette)))
            label = f'{name}\npixel acc. {acc:.3f}'
            print(f'{name}: pixel accuracy {acc:.3f}')
        panels.append(('prediction', paint(pred, palette)))
        rows.append(dict(panels=panels, label=label))
    if not rows:
        raise ToolInputError(f'{args.config}: the test dataset is empty')
    titles = draw_grid(rows, classes, palette, args.out)
    mean = float(np.nanmean(accs)) if accs else float('nan')
    print(f'mean pixel accuracy over {len(accs)} images: {mean:.3f}; wrote '
          f'{args.out} (columns: {" | ".join(titles)}; legend: '
          f'{", ".join(classes)})')
    return dict(titles=titles, accuracy=accs, out=args.out)


def main(argv=None):
    from rsvheat_mm.engine.runner_utils import run_tool
    return run_tool(run, parse_args(argv))


if __name__ == '__main__':
    main()
