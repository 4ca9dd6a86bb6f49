"""Detect objects in an image of any size, tile by tile.

Cuts the image into overlapping tiles (``--patch-size``, ``--gap``), runs the
detector of an mmdet or mmrotate config on each batch of tiles with a
progress bar, merges the detections with class-wise (rotated) NMS, and
writes ``<out-dir>/<image>.txt`` (``x1 y1 ... y4 class score`` per line),
``<out-dir>/<image>.json`` and ``<out-dir>/<image>_vis.jpg``.

Example::

    python tools/huge_image_inference.py scene.tif \
        configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py \
        work_dirs/oriented-rcnn/epoch_12.pth --out-dir outputs \
        --patch-size 1024 --gap 200 --score-thr 0.3
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('img', help='image file (any size, any cv2 format)')
    p.add_argument('config', help='mmdet / mmrotate config')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='weights (omit only to test the pipeline)')
    p.add_argument('--out-dir', default='outputs')
    p.add_argument('--patch-size', type=int, default=1024)
    p.add_argument('--gap', type=int, default=200)
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--iou-thr', type=float, default=0.1)
    p.add_argument('--device', default='cuda:0')
    p.add_argument('--no-vis', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='key=value overrides of the config')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import cv2
    import torch
    from mmdet.apis import init_detector

    import rsvheat_mm  # noqa: F401  (registers modules)
    from rsvheat_mm.det.inference import (draw_detections, format_detections,
                                          image_color_type, tiled_inference)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device
    if device.startswith('cuda') and not torch.cuda.is_available():
        print('CUDA not available: running on CPU')
        device = 'cpu'
    if 'mmrotate' in str(cfg.get('default_scope', '')):
        import mmrotate  # noqa: F401
    model = init_detector(cfg, args.checkpoint, device=device)
    flag = cv2.IMREAD_GRAYSCALE \
        if image_color_type(cfg) == 'grayscale' else cv2.IMREAD_COLOR
    image = cv2.imread(args.img, flag)
    if image is None:
        raise IOError(f'cannot read {args.img!r}')
    start = time.time()
    dets = tiled_inference(model, image, args.patch_size, args.gap,
                           args.batch_size, args.iou_thr, args.score_thr)
    classes = model.dataset_meta['classes']
    stem = osp.splitext(osp.basename(args.img))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    lines = format_detections(dets, classes)
    with open(osp.join(args.out_dir, stem + '.txt'), 'w') as f:
        f.writelines(line + '\n' for line in lines)
    with open(osp.join(args.out_dir, stem + '.json'), 'w') as f:
        json.dump(dict(image=args.img, height=image.shape[0],
                       width=image.shape[1], classes=list(classes),
                       bboxes=dets['bboxes'].tolist(),
                       scores=dets['scores'].tolist(),
                       labels=dets['labels'].tolist()), f)
    if not args.no_vis:
        palette = model.dataset_meta.get('palette')
        cv2.imwrite(osp.join(args.out_dir, stem + '_vis.jpg'),
                    draw_detections(image, dets, classes, palette))
    print(f'\n{len(lines)} detections in {time.time() - start:.1f} s -> '
          f'{args.out_dir}')
    return dets


if __name__ == '__main__':
    main()
