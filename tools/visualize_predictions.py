#!/usr/bin/env python
"""Draw a segmentation model's predictions next to the ground truth.

    python tools/visualize_predictions.py CONFIG CHECKPOINT \
        [--out predictions.png] [--num 6] [--device cpu]

Writes one PNG: a row per image with the input, the ground truth and the
prediction painted with the dataset palette, and prints the pixel accuracy
of each row. Works with any mmseg config of this project whose test
dataset has segmentation maps (e.g. the demo config).
"""
import argparse
import sys
from pathlib import Path

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', default='predictions.png')
    p.add_argument('--num', type=int, default=6, help='images to draw')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import rsvheat_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.apis import inference_model, init_model
    from mmseg.registry import DATASETS
    from PIL import Image

    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = init_model(cfg, args.checkpoint, device=args.device)
    ds_cfg = cfg.test_dataloader.dataset.copy()
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    palette = np.array(dataset.metainfo['palette'], np.uint8)
    rows, accs = [], []
    for i in range(min(args.num, len(dataset))):
        info = dataset.get_data_info(i)
        img = np.array(Image.open(info['img_path']).convert('RGB'))
        gt = np.array(Image.open(info['seg_map_path']))
        result = inference_model(model, info['img_path'])
        pred = result.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
        valid = gt != 255
        accs.append(float((pred[valid] == gt[valid]).mean()))
        gt_rgb = palette[np.where(valid, gt, 0)]
        rows.append(np.concatenate([img, gt_rgb, palette[pred]], axis=1))
        print(f'{Path(info["img_path"]).name}: pixel accuracy {accs[-1]:.3f}')
    grid = np.concatenate(rows, axis=0)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(out)
    print(f'mean pixel accuracy over {len(accs)} images: '
          f'{np.mean(accs):.3f}; wrote {out} (columns: image | ground truth '
          f'| prediction)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
