"""Predict change masks for LEVIR-CD-style pairs and write them as PNG.

Reads ``<data-root>/<A>/*.png`` and ``<data-root>/<B>/*.png`` (same names),
runs a change-detection model trained with an rsvheat_mm config (sliding
windows as in its ``test_cfg``) and writes one mask per pair to
``<out-dir>/<name>.png`` with LEVIR-CD's values: 0 unchanged, 255 changed
(the same encoding as LEVIR-CD's masks). The output folder must lie outside
the dataset's ``A/``, ``B/`` and ``label/`` folders: the tool refuses to
write into its inputs (that would replace the ground truth). Each mask is
written under a temporary name and renamed when complete.

Whole GeoTIFF scenes (any size, georeferenced outputs): use
``tools/scene_inference.py``.

Example::

    python tools/cd_predict.py \
        configs/changedet/siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py \
        work_dirs/levir/best_F1.pth --data-root data/levir_cd/test \
        --out-dir work_dirs/levir/pred --label label

With ``--label`` the masks are also scored (precision, recall, F1, IoU of
the change class).
"""
import argparse
import copy
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
import numpy as np
import torch


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='change-detection config file')
    p.add_argument('checkpoint', help='checkpoint (.pth) of the model')
    p.add_argument('--data-root', required=True,
                   help='folder holding the A/ and B/ sub-folders')
    p.add_argument('--a', default='A', help='before-image folder (default A)')
    p.add_argument('--b', default='B', help='after-image folder (default B)')
    p.add_argument('--label', default=None,
                   help='label folder under data-root; if given, score the '
                   'predictions (default: none)')
    p.add_argument('--out-dir', required=True, help='where masks are written')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available()
                   else 'cpu', help='torch device (default cuda if present)')
    return p.parse_args(argv)


def build_dataset(cfg, data_root: str, a: str, b: str,
                  label: Optional[str]):
    """The config's test dataset pointed at the user's folders."""
    from mmseg.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.data_root = data_root
    ds_cfg.data_prefix = dict(img_path=a, img_path2=b)
    pipeline = []
    for t in ds_cfg.pipeline:
        kind = str(t['type']).split('.')[-1]
        if kind in ('LoadMappedAnnotations', 'LoadAnnotations') and not label:
            continue
        pipeline.append(t)
    ds_cfg.pipeline = pipeline
    if label:
        ds_cfg.data_prefix['seg_map_path'] = label
    ds_cfg.pop('ann_file', None)
    return DATASETS.build(ds_cfg)


def input_folders(args) -> List[str]:
    """The folders the tool reads (A, B and, if given, label)."""
    names = [args.a, args.b] + ([args.label] if args.label else [])
    return [osp.join(args.data_root, n) for n in names]


def check_out_dir(out_dir: str, folders: List[str]) -> None:
    """Refuse an output folder that is or lies inside an input folder.

    Raises:
        SystemExit: with the folder and the fix.
    """
    out = osp.realpath(out_dir)
    for d in folders:
        real = osp.realpath(d)
        if out == real or out.startswith(real + os.sep):
            raise SystemExit(
                f'--out-dir {out_dir} is or lies inside the input folder '
                f'{d}: writing there would replace the dataset\'s own files '
                f'(ground truth or images). Choose a folder outside '
                f'{", ".join(folders)}, e.g. work_dirs/levir_pred.')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    check_out_dir(args.out_dir, input_folders(args))
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmseg.apis import init_model

    import rsvheat_mm  # noqa: F401  (registers the modules)
    from rsvheat_mm.evaluation.metrics.change_metric import (ChangeDetectionMetric,
                                                     change_scores)

    cfg = Config.fromfile(args.config)
    model = init_model(cfg, args.checkpoint, device=args.device)
    dataset = build_dataset(cfg, args.data_root, args.a, args.b, args.label)
    os.makedirs(args.out_dir, exist_ok=True)
    metric = ChangeDetectionMetric()
    total = np.zeros(4, dtype=np.int64)
    from mmengine.utils import ProgressBar
    bar = ProgressBar(len(dataset))
    for i in range(len(dataset)):
        data = dataset[i]
        with torch.no_grad():
            out = model.test_step(pseudo_collate([data]))[0]
        pred = out.pred_sem_seg.data[0].cpu()
        mask = (pred.numpy() == 1).astype(np.uint8) * 255
        name = osp.basename(out.metainfo['img_path'])
        path = osp.join(args.out_dir, osp.splitext(name)[0] + '.png')
        ok, buf = cv2.imencode('.png', mask)
        if not ok:
            raise OSError(f'could not encode the mask of {name}')
        tmp = osp.join(args.out_dir, '.' + osp.basename(path) + '.part')
        with open(tmp, 'wb') as f:
            f.write(buf.tobytes())
        os.replace(tmp, path)
        if args.label:
            total += metric.counts(pred, out.gt_sem_seg.data[0].cpu())
        bar.update()
    print(f'\nwrote {len(dataset)} masks (0 unchanged / 255 changed) to '
          f'{args.out_dir}')
    if args.label:
        s = change_scores(*total.tolist())
        print('change class: ' + ', '.join(
            f'{k} undefined' if v != v else f'{k} {100 * v:.2f}'
            for k, v in s.items()))  # NaN (0/0) -> undefined
    return 0


if __name__ == '__main__':
    sys.exit(main())
