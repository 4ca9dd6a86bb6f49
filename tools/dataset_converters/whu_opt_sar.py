"""Tile the WHU-OPT-SAR release into 512 px optical / SAR / label tiles.

Reads the release as unpacked (github.com/AmberHen/WHU-OPT-SAR-dataset)::

    SRC/optical/<scene>.tif   4 bands (RGB + NIR, 5556 x 3704)
    SRC/sar/<scene>.tif       1 band
    SRC/lbl/<scene>.tif       0 background, 10 farmland ... 70 others
    SRC/The division of the dataset.txt   "train:" 80 names, "test:" 20

and writes, for each split of that file::

    OUT/{train,test}/{optical,sar,lbl}/<scene>_<x>_<y>.tif

Tiles keep the dtype and band count (and band order) of each file; no
georeference is written. Windows follow
:func:`rsvheat_mm.utils.patch.split.compute_windows` (the last window of a
row/column is aligned to the border): training tiles overlap by ``--gap``,
test tiles by ``--test-gap`` (default 0, only at the borders). Every scene of
the split file is checked to have its three files of one size before anything
is written; the output is built under ``OUT.partial`` and renamed when done.

Example::

    python tools/dataset_converters/whu_opt_sar.py data/WHU-OPT-SAR \\
        data/whu_opt_sar_512
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
from rsvheat_mm.datasets.data_layouts import LAYOUTS  # noqa: E402
from rsvheat_mm.datasets.prepare_io import (output_folder,  # noqa: E402
                                            progress, write_image)
from rsvheat_mm.datasets.transforms.image_io import read_raster  # noqa: E402
from rsvheat_mm.datasets.whu_opt_sar import \
    parse_whu_split_file  # noqa: E402
from rsvheat_mm.utils.patch.split import compute_windows  # noqa: E402

TOOL = 'whu_opt_sar.py'
SPLIT_FILE = 'The division of the dataset.txt'
MODALITIES = ('optical', 'sar', 'lbl')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help='unpacked release (optical/, sar/, lbl/)')
    p.add_argument('out', help='output folder (must not exist or be empty)')
    p.add_argument('--split-file', default=None,
                   help=f'default: SRC/{SPLIT_FILE}')
    p.add_argument('--tile', type=int, default=512)
    p.add_argument('--gap', type=int, default=128,
                   help='overlap of training tiles (default 128: stride 384)')
    p.add_argument('--test-gap', type=int, default=0,
                   help='overlap of test tiles (default 0)')
    args = p.parse_args(argv)
    for name in ('gap', 'test_gap'):
        if not 0 <= getattr(args, name) < args.tile:
            p.error(f'--{name.replace("_", "-")} {getattr(args, name)} must '
                    f'be >= 0 and smaller than --tile {args.tile}.')
    return args


def _find(folder: str, stem: str) -> str:
    """``folder/stem.tif`` in any case of the suffix, or ''."""
    for ext in ('.tif', '.TIF', '.tiff', '.TIFF'):
        path = osp.join(folder, stem + ext)
        if osp.isfile(path):
            return path
    return ''


def check_release(src: str, splits: Dict[str, List[str]]
                  ) -> Dict[str, Dict[str, str]]:
    """``{scene: {modality: path}}``; every file must exist.

    Raises:
        FileNotFoundError: A folder or a scene's file is missing (all
            missing files are listed).
    """
    for mod in MODALITIES:
        if not osp.isdir(osp.join(src, mod)):
            raise FileNotFoundError(
                f'{TOOL}: {osp.join(src, mod)!r} does not exist. The '
                f'WHU-OPT-SAR release unpacks to {src}/optical, sar, lbl '
                f'(one <scene>.tif each) and "{SPLIT_FILE}". '
                f'Command: {LAYOUTS["whu_opt_sar"].prepare}')
    paths, missing = {}, []
    for scenes in splits.values():
        for scene in scenes:
            paths[scene] = {m: _find(osp.join(src, m), scene)
                            for m in MODALITIES}
            missing += [osp.join(src, m, scene + '.tif')
                        for m, p in paths[scene].items() if not p]
    if missing:
        raise FileNotFoundError(
            f'{TOOL}: {len(missing)} file(s) of scenes in the split file are '
            f'missing: {missing[:10]}{" ..." if len(missing) > 10 else ""}. '
            f'Every scene needs optical/, sar/ and lbl/ files of the same '
            f'name; re-extract them. Nothing was written.')
    return paths


def tile_scene(scene: str, paths: Dict[str, str], out_split: str, tile: int,
               gap: int) -> int:
    """Write the tiles of one scene; returns the number of windows."""
    import numpy as np
    arrays = {m: read_raster(p, 'unchanged') for m, p in paths.items()}
    sizes = {m: a.shape[:2] for m, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f'{TOOL}: scene {scene!r} has files of different '
                         f'sizes: ' + ', '.join(
                             f'{paths[m]} {s[1]}x{s[0]}'
                             for m, s in sizes.items()) +
                         '. The three files must be co-registered.')
    if arrays['lbl'].shape[2] != 1:
        raise ValueError(f'{TOOL}: label {paths["lbl"]} has '
                         f'{arrays["lbl"].shape[2]} bands; expected 1.')
    h, w = sizes['lbl']
    windows = compute_windows(w, h, tile, gap)
    for x1, y1, x2, y2 in windows:
        for mod, arr in arrays.items():
            crop = arr[y1:y2, x1:x2]
            if crop.shape[:2] != (tile, tile):  # scene smaller than a tile
                pad = np.zeros((tile, tile, arr.shape[2]), arr.dtype)
                pad[:crop.shape[0], :crop.shape[1]] = crop
                crop = pad  # 0 = background (ignored) in the label
            if crop.shape[2] == 1:
                crop = crop[..., 0]
            write_image(osp.join(out_split, mod, f'{scene}_{x1}_{y1}.tif'),
                        crop)
    return len(windows)


def main(argv=None) -> Tuple[int, Dict[str, int]]:
    args = parse_args(argv)
    split_file = args.split_file or osp.join(args.src, SPLIT_FILE)
    splits = parse_whu_split_file(split_file)
    if '' in splits:
        raise ValueError(f'{TOOL}: {split_file} has names before any '
                         f'"train:" / "test:" line; use the release file.')
    paths = check_release(args.src, splits)
    counts: Dict[str, int] = {}
    inputs = [osp.join(args.src, m) for m in MODALITIES]
    with output_folder(args.out, inputs, TOOL) as tmp:
        for split, scenes in splits.items():
            gap = args.test_gap if split == 'test' else args.gap
            counts[split] = sum(
                tile_scene(s, paths[s], osp.join(tmp, split), args.tile, gap)
                for s in progress(scenes, len(scenes), split))
    print(f'{sum(len(v) for v in splits.values())} scenes -> ' + ', '.join(
        f'{k}: {v} tiles' for k, v in counts.items()) + f' in {args.out}')
    return sum(counts.values()), counts


if __name__ == '__main__':
    main()
