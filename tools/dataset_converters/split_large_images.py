"""Split large remote-sensing images and their boxes into overlapping tiles.

Reads DOTA txt (``--ann-format dota``), FAIR1M XML (``fair1m``), VOC-style
XML (``voc``: DIOR-R, SAR-AIRcraft) or no annotations (test set), from one
or several image/annotation folder pairs (``--img-dir A B --ann-dir A' B'``,
in the same order), and writes ``<out>/images/<tile>.png`` +
``<out>/annfiles/<tile>.txt`` (DOTA txt; tile ids
``<image>__<size>__<x>___<y>``) for ``CheckedDOTADataset`` /
``FAIR1MDataset``. Cut objects follow mmrotate's ``img_split.py``
(``--mode mmrotate``, default) or the DOTA kit (``--mode devkit``); see
:mod:`rsvheat_mm.utils.patch.split`.

Everything is checked before the first tile is written: every image has its
annotation file and every annotation its image (same names in each pair),
no name repeats across pairs, every class name is known (``--classes``) and
no object lies outside its image. The output is built under
``<out>.partial`` and renamed when complete; a failure leaves nothing.

Examples::

    # DOTA-v1.0 train + val, single scale (mmrotate's ss_trainval settings)
    python tools/dataset_converters/split_large_images.py \\
        --img-dir data/DOTA/train/images data/DOTA/val/images \\
        --ann-dir data/DOTA/train/labelTxt data/DOTA/val/labelTxt \\
        --out-dir data/split_ss_dota/trainval --patch-size 1024 --gap 200
    # FAIR1M-2.0 training set: both parts in one call, straight from XML
    python tools/dataset_converters/split_large_images.py \\
        --ann-format fair1m --img-dir data/FAIR1M2.0/train/part1/images \\
                  data/FAIR1M2.0/train/part2/images \\
        --ann-dir data/FAIR1M2.0/train/part1/labelXml \\
                  data/FAIR1M2.0/train/part2/labelXml \\
        --out-dir data/split_ss_fair1m2/train
    # test images (no annotations), multi-scale
    python tools/dataset_converters/split_large_images.py \\
        --img-dir data/DOTA/test/images --out-dir data/split_ms_dota/test \\
        --rates 0.5 1.0 1.5
"""
import argparse
import os
import os.path as osp
import sys
import warnings
from functools import partial
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence, Tuple

import cv2

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
from rsvheat_mm.datasets.annotations import (  # noqa: E402
    AnnotationError, check_class_names, parse_dota_txt, parse_fair1m_xml,
    parse_voc_xml, write_dota_txt)
from rsvheat_mm.datasets.class_names import CLASS_SETS  # noqa: E402
from rsvheat_mm.datasets.prepare_io import (output_folder,  # noqa: E402
                                            progress)
from rsvheat_mm.utils.patch.split import (SPLIT_MODES,  # noqa: E402
                                          objects_outside, split_image)

TOOL = 'split_large_images.py'
IMG_EXTS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
_ANN = dict(dota=('.txt', lambda p: parse_dota_txt(p)[0]),
            fair1m=('.xml', lambda p: parse_fair1m_xml(p)['objects']),
            voc=('.xml', lambda p: parse_voc_xml(p)['objects']))
_DEFAULT_CLASSES = dict(dota='dota1.0', fair1m='fair1m', voc='dior')

Item = Tuple[str, str, Optional[str]]  # stem, image path, annotation path


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--img-dir', required=True, nargs='+',
                   help='image folder(s)')
    p.add_argument('--ann-dir', default=None, nargs='+',
                   help='annotation folder(s), one per --img-dir, same order '
                   '(omit for a test set)')
    p.add_argument('--ann-format', choices=tuple(_ANN), default='dota')
    p.add_argument('--classes', default=None,
                   choices=tuple(CLASS_SETS) + ('any', ),
                   help='class set the names must belong to (default: '
                   'dota1.0 for dota, fair1m for fair1m, dior for voc; '
                   '"any" skips the check)')
    p.add_argument('--out-dir', required=True,
                   help='output folder (must not exist or be empty)')
    p.add_argument('--patch-size', type=int, default=1024)
    p.add_argument('--gap', type=int, default=200)
    p.add_argument('--rates', type=float, nargs='+', default=[1.0])
    p.add_argument('--iof-thr', type=float, default=0.7)
    p.add_argument('--mode', choices=SPLIT_MODES, default='mmrotate',
                   help='rule for cut objects: mmrotate img_split.py '
                   '(default) or the DOTA kit ImgSplit.py')
    p.add_argument('--missing-ann', choices=('error', 'empty'),
                   default='error',
                   help='an image without annotation file: stop (default) '
                   'or split it as an image without objects')
    p.add_argument('--out-of-image', choices=('error', 'drop'),
                   default='error',
                   help='an object wholly outside its image: stop (default) '
                   'or drop it with a warning')
    p.add_argument('--pad-value', type=int, nargs='+',
                   default=[104, 116, 124])
    p.add_argument('--no-empty', action='store_true',
                   help='skip tiles without objects (training only)')
    p.add_argument('--save-ext', default='.png')
    p.add_argument('--nproc', type=int, default=1)
    args = p.parse_args(argv)
    if args.ann_dir is not None and len(args.ann_dir) != len(args.img_dir):
        p.error(f'--ann-dir has {len(args.ann_dir)} folder(s) but --img-dir '
                f'has {len(args.img_dir)}; give one annotation folder per '
                f'image folder, in the same order.')
    if args.classes is None:
        args.classes = _DEFAULT_CLASSES[args.ann_format]
    return args


def _stems(folder: str, exts: Sequence[str], what: str) -> Dict[str, str]:
    """``{stem: file name}`` of the files of ``folder`` with ``exts``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{TOOL}: {what} folder {folder!r} does not '
                                f'exist. Check --img-dir / --ann-dir.')
    out: Dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in exts and stem != 'Thumbs':
            if stem in out:
                raise ValueError(f'{TOOL}: {folder} has two {what} files '
                                 f'named {stem!r} ({out[stem]}, {name}). '
                                 f'Keep one.')
            out[stem] = name
    return out


def _pair_items(img_dir: str, ann_dir: Optional[str], suffix: str,
                missing_ann: str) -> List[Item]:
    images = _stems(img_dir, IMG_EXTS, 'image')
    if ann_dir is None:
        return [(s, osp.join(img_dir, n), None) for s, n in images.items()]
    anns = _stems(ann_dir, (suffix, ), 'annotation')
    no_ann = sorted(set(images) - set(anns))
    no_img = sorted(set(anns) - set(images))
    if no_img or (no_ann and missing_ann == 'error'):
        raise FileNotFoundError(
            f'{TOOL}: {img_dir!r} and {ann_dir!r} do not hold the same '
            f'names. Annotations without an image: '
            f'{no_img[:10] or "none"}{" ..." if len(no_img) > 10 else ""} '
            f'({len(no_img)}); images without an annotation: '
            f'{no_ann[:10] or "none"}{" ..." if len(no_ann) > 10 else ""} '
            f'({len(no_ann)}). Pair each image folder with its own label '
            f'folder (same order in --img-dir and --ann-dir), re-extract '
            f'missing files, or pass --missing-ann empty to split images '
            f'without annotations as empty. Nothing was written.')
    return [(s, osp.join(img_dir, n),
             osp.join(ann_dir, anns[s]) if s in anns else None)
            for s, n in images.items()]


def _image_size(path: str) -> Optional[Tuple[int, int]]:
    """``(width, height)`` from the file header, or None if PIL cannot."""
    try:
        from PIL import Image
        Image.MAX_IMAGE_PIXELS = None  # large scenes are the point here
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - fall back to reading the pixels
        return None


def load_objects(ann_path: Optional[str], args, size=None) -> List[dict]:
    """Parse, check the class names and the image bounds of one file."""
    if ann_path is None:
        return []
    objects = _ANN[args.ann_format][1](ann_path)
    if args.classes != 'any':
        check_class_names(
            objects, CLASS_SETS[args.classes], ann_path, args.classes,
            ignore_case=args.classes == 'dior',
            hint=f'Fix the annotation, or pass --classes with the right '
            f'set ({", ".join(CLASS_SETS)}) or --classes any.')
    if size is not None:
        wholly, partly = objects_outside(objects, *size)
        if wholly:
            first = objects[wholly[0]]
            where = f'line {first["lineno"]}' if first.get('lineno') else \
                f'object #{wholly[0]}'
            msg = (f'{ann_path}: {len(wholly)} of {len(objects)} objects lie '
                   f'wholly outside the {size[0]}x{size[1]} image (first: '
                   f'{where}, {first["name"]}). The labels may belong to a '
                   f'larger version of the image (a thumbnail or a '
                   f'resampled copy): use the full-resolution image.')
            if args.out_of_image == 'error':
                raise AnnotationError(msg + ' Or pass --out-of-image drop.')
            warnings.warn(msg + ' Dropped.')
            objects = [o for k, o in enumerate(objects) if k not in
                       set(wholly)]
        if partly:
            warnings.warn(f'{ann_path}: {len(partly)} object(s) reach past '
                          f'the {size[0]}x{size[1]} image border.')
    return objects


def check_all(items: Sequence[Item], args) -> None:
    """Every annotation parses, has known classes and fits its image."""
    for stem, img_path, ann_path in progress(items, len(items),
                                             'checking annotations'):
        load_objects(ann_path, args, _image_size(img_path))


def split_one(item: Item, args, out_dir: str) -> int:
    """Split one image at every rate; returns the number of tiles."""
    stem, img_path, ann_path = item
    image = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise IOError(f'cv2 cannot read {img_path!r} (corrupt or an '
                      f'unsupported format).')
    size = (image.shape[1], image.shape[0])
    objects = load_objects(ann_path, args, size)
    count = 0
    for rate in args.rates:
        tiles = split_image(image, objects, stem, args.patch_size, args.gap,
                            rate, args.iof_thr, args.pad_value,
                            keep_empty=not (args.no_empty and args.ann_dir),
                            mode=args.mode)
        for tile in tiles:
            path = osp.join(out_dir, 'images', tile.id + args.save_ext)
            if not cv2.imwrite(path, tile.image):
                raise IOError(f'could not write {path}')
            if args.ann_dir:
                write_dota_txt(osp.join(out_dir, 'annfiles',
                                        tile.id + '.txt'), tile.objects)
            count += 1
    return count


def collect(args) -> List[Item]:
    """Work items of every folder pair; names must be unique overall."""
    suffix = _ANN[args.ann_format][0]
    items: List[Item] = []
    seen: Dict[str, str] = {}
    for k, img_dir in enumerate(args.img_dir):
        ann_dir = args.ann_dir[k] if args.ann_dir else None
        for item in _pair_items(img_dir, ann_dir, suffix, args.missing_ann):
            if item[0] in seen:
                raise ValueError(
                    f'{TOOL}: image name {item[0]!r} is in {seen[item[0]]!r} '
                    f'and {img_dir!r}; tile ids would collide. Split those '
                    f'folders into separate output folders.')
            seen[item[0]] = img_dir
            items.append(item)
    if not items:
        raise FileNotFoundError(f'{TOOL}: no images ({IMG_EXTS}) in '
                                f'{args.img_dir}.')
    return items


def main(argv=None) -> int:
    args = parse_args(argv)
    items = collect(args)
    if args.ann_dir:
        check_all(items, args)
    inputs = list(args.img_dir) + list(args.ann_dir or [])
    with output_folder(args.out_dir, inputs, TOOL) as tmp:
        os.makedirs(osp.join(tmp, 'images'))
        if args.ann_dir:
            os.makedirs(osp.join(tmp, 'annfiles'))
        work = partial(split_one, args=args, out_dir=tmp)
        if args.nproc > 1:
            with Pool(args.nproc) as pool:
                counts = list(progress(pool.imap(work, items), len(items),
                                       'splitting'))
        else:
            counts = [work(it) for it in progress(items, len(items),
                                                  'splitting')]
    print(f'{len(items)} images -> {sum(counts)} tiles in {args.out_dir}')
    return sum(counts)


if __name__ == '__main__':
    main()
