"""Split large remote-sensing images and their boxes into overlapping tiles.

Reads DOTA txt (``--ann-format dota``), FAIR1M XML (``fair1m``), VOC-style
XML (``voc``: DIOR-R, SAR-AIRcraft) or no annotations (test set), and writes
``<out>/images/<tile>.png`` + ``<out>/annfiles/<tile>.txt`` (DOTA txt; tile
ids ``<image>__<size>__<x>___<y>``) ready for mmrotate's ``DOTADataset`` or
``FAIR1MDataset``. Rules (IoF filter, clipping) as the DOTA kit; see
:mod:`rsvheat_mm.det.split`.

Examples::

    # DOTA-v1.0 single scale (mmrotate's ss_trainval.json settings)
    python tools/dataset_converters/split_large_images.py \
        --img-dir data/DOTA/train/images --ann-dir data/DOTA/train/labelTxt \
        --out-dir data/split_ss_dota/trainval --patch-size 1024 --gap 200
    # FAIR1M-2.0 straight from XML
    python tools/dataset_converters/split_large_images.py \
        --img-dir data/FAIR1M2.0/train/images \
        --ann-dir data/FAIR1M2.0/train/labelXml --ann-format fair1m \
        --out-dir data/split_ss_fair1m2/trainval
    # test images (no annotations), multi-scale
    python tools/dataset_converters/split_large_images.py \
        --img-dir data/DOTA/test/images --out-dir data/split_ms_dota/test \
        --rates 0.5 1.0 1.5
"""
import argparse
import os
import os.path as osp
import sys
from functools import partial
from multiprocessing import Pool

import cv2

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
from rsvheat_mm.det.annotations import (list_annotation_ids,  # noqa: E402
                                        parse_dota_txt, parse_fair1m_xml,
                                        parse_voc_xml, write_dota_txt)
from rsvheat_mm.det.split import split_image  # noqa: E402

IMG_EXTS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
_ANN = dict(dota=('.txt', lambda p: parse_dota_txt(p)[0]),
            fair1m=('.xml', lambda p: parse_fair1m_xml(p)['objects']),
            voc=('.xml', lambda p: parse_voc_xml(p)['objects']))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--img-dir', required=True, help='folder of images')
    p.add_argument('--ann-dir', default=None,
                   help='folder of annotations (omit for a test set)')
    p.add_argument('--ann-format', choices=tuple(_ANN), default='dota')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--patch-size', type=int, default=1024)
    p.add_argument('--gap', type=int, default=200)
    p.add_argument('--rates', type=float, nargs='+', default=[1.0])
    p.add_argument('--iof-thr', type=float, default=0.7)
    p.add_argument('--pad-value', type=int, nargs='+',
                   default=[104, 116, 124])
    p.add_argument('--no-empty', action='store_true',
                   help='skip tiles without objects (training only)')
    p.add_argument('--save-ext', default='.png')
    p.add_argument('--nproc', type=int, default=1)
    return p.parse_args(argv)


def _find_image(img_dir: str, stem: str) -> str:
    for ext in IMG_EXTS:
        path = osp.join(img_dir, stem + ext)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'No image for {stem!r} in {img_dir!r} (tried '
                            f'{IMG_EXTS}).')


def split_one(stem: str, args) -> int:
    """Split one image at every rate; returns the number of tiles."""
    img_path = _find_image(args.img_dir, stem)
    image = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise IOError(f'cv2 cannot read {img_path!r} (corrupt or an '
                      f'unsupported format).')
    objects = []
    if args.ann_dir:
        suffix, reader = _ANN[args.ann_format]
        objects = reader(osp.join(args.ann_dir, stem + suffix))
    count = 0
    for rate in args.rates:
        tiles = split_image(image, objects, stem, args.patch_size, args.gap,
                            rate, args.iof_thr, args.pad_value,
                            keep_empty=not (args.no_empty and args.ann_dir))
        for tile in tiles:
            cv2.imwrite(osp.join(args.out_dir, 'images',
                                 tile.id + args.save_ext), tile.image)
            if args.ann_dir:
                write_dota_txt(osp.join(args.out_dir, 'annfiles',
                                        tile.id + '.txt'), tile.objects)
            count += 1
    return count


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(osp.join(args.out_dir, 'images'), exist_ok=True)
    if args.ann_dir:
        os.makedirs(osp.join(args.out_dir, 'annfiles'), exist_ok=True)
        stems = list_annotation_ids(args.ann_dir, _ANN[args.ann_format][0])
    else:
        stems = sorted(osp.splitext(f)[0] for f in os.listdir(args.img_dir)
                       if f.lower().endswith(IMG_EXTS))
    work = partial(split_one, args=args)
    if args.nproc > 1:
        with Pool(args.nproc) as pool:
            counts = pool.map(work, stems)
    else:
        counts = [work(s) for s in stems]
    print(f'{len(stems)} images -> {sum(counts)} tiles in {args.out_dir}')
    return sum(counts)


if __name__ == '__main__':
    main()
