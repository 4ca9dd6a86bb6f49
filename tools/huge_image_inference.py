"""Detect objects in an image of any size, tile by tile.

Cuts the image into overlapping tiles (``--patch-size``, ``--gap``), runs the
detector of an mmdet or mmrotate config on each batch of tiles with a
progress bar, merges the detections with class-wise (rotated) NMS, and
writes ``<out-dir>/<image>.txt`` (``x1 y1 ... y4 class score`` per line),
``<out-dir>/<image>.json`` and ``<out-dir>/<image>_vis.jpg``. Boxes lie in
the image: detections in the padding of border tiles are dropped.

GeoTIFFs are read window by window (rasterio); their band count and dtype
must fit the config (a 4-band uint16 scene for an RGB 8-bit config is refused
with the fix: ``--bands 0,1,2 --rescale percentile``); nothing is converted
silently. For georeferenced outputs (GeoJSON in the scene CRS), folders and
many processes use ``tools/scene_inference.py``, which this tool shares its
code with.

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
    p.add_argument('img', help='image file (any size: PNG / JPEG, or a '
                   'GeoTIFF of any band count and dtype)')
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
    p.add_argument('--bands', default=None,
                   help='0-based bands of the file fed to the model, e.g. '
                   '2,1,0 (default: all; must match the model)')
    p.add_argument('--rescale', default='none',
                   choices=['none', 'percentile', 'minmax'],
                   help='stretch a non-8-bit image to 0..255 for an 8-bit '
                   'config (default none: refuse)')
    p.add_argument('--value-range', type=float, nargs=2, default=None,
                   metavar=('LOW', 'HIGH'))
    p.add_argument('--no-vis', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='key=value overrides of the config')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import cv2
    import torch

    import rsvheat_mm  # noqa: F401  (registers modules)
    from rsvheat_mm.apis.scene_inference import DetSceneInferencer, _scale_dets
    from rsvheat_mm.apis.tiled_inference import (draw_detections,
                                                 format_detections)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device
    if device.startswith('cuda') and not torch.cuda.is_available():
        print('CUDA not available: running on CPU')
        device = 'cpu'
    bands = [int(b) for b in args.bands.split(',')] if args.bands else None
    inf = DetSceneInferencer(
        cfg, args.checkpoint, device, score_thr=args.score_thr,
        iou_thr=args.iou_thr, patch_size=args.patch_size, gap=args.gap,
        batch_size=args.batch_size, bands=bands, rescale=args.rescale,
        value_range=args.value_range)
    try:
        (src, ) = inf.open_inputs([args.img])
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')
    start = time.time()
    with src:
        dets = inf.detect(src)
        classes = inf.classes
        stem = osp.splitext(osp.basename(args.img))[0]
        os.makedirs(args.out_dir, exist_ok=True)
        lines = format_detections(dets, classes)
        with open(osp.join(args.out_dir, stem + '.txt'), 'w') as f:
            f.writelines(line + '\n' for line in lines)
        with open(osp.join(args.out_dir, stem + '.json'), 'w') as f:
            json.dump(dict(image=args.img, height=src.height,
                           width=src.width, classes=list(classes),
                           bboxes=dets['bboxes'].tolist(),
                           scores=dets['scores'].tolist(),
                           labels=dets['labels'].tolist()), f)
        if not args.no_vis:
            palette = inf.meta.get('palette')
            if max(src.width, src.height) <= 8192:  # full resolution
                img = src.read_window([0, 0, src.width, src.height])
                vis = draw_detections(img[..., 0] if img.shape[-1] == 1
                                      else img, dets, classes, palette)
            else:  # a huge scene: draw on a 4096 px overview
                from rsvheat_mm.apis.raster_io import overview_image
                ov = overview_image(src, 4096)
                vis = draw_detections(
                    ov, _scale_dets(dets, ov.shape[1] / src.width), classes,
                    palette)
            cv2.imwrite(osp.join(args.out_dir, stem + '_vis.jpg'), vis)
    print(f'\n{len(lines)} detections in {time.time() - start:.1f} s -> '
          f'{args.out_dir}')
    return dets


if __name__ == '__main__':
    main()
