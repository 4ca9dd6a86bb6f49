"""Write the standard train-ratio splits of AID and NWPU-RESISC45.

The datasets come as one folder per class. The usual protocols train on a
fixed fraction of *each class* and test on the rest:

* AID: TR20 and TR50 (20 % / 50 % of each class for training);
* NWPU-RESISC45: TR10 and TR20.

For each ratio this writes ``train_tr{NN}.txt`` and ``val_tr{NN}.txt``
(mmpretrain annotation lists: ``<class folder>/<file> <label>`` per line,
labels = indices of the sorted class names in
:mod:`rsvheat_mm.datasets.scene_cls`). The split is deterministic: files of
a class are sorted by name and shuffled by a NumPy generator seeded with
``(seed, crc32(class name))``, then the first ``round(ratio * n)`` go to
training (at least 1, and at least 1 left for testing), so every class is in
both splits, and adding or removing a class does not change the others.

Usage::

    python tools/dataset_converters/make_cls_splits.py aid data/AID \
        --out data/AID/splits
    python tools/dataset_converters/make_cls_splits.py nwpu \
        data/NWPU-RESISC45 --out data/NWPU-RESISC45/splits --ratios 0.1 0.2
"""
import argparse
import os
import os.path as osp
import sys
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')
DEFAULT_RATIOS = {'aid': (0.2, 0.5), 'nwpu': (0.1, 0.2)}


def _classes(dataset: str) -> Tuple[str, ...]:
    try:
        from rsvheat_mm.datasets.scene_cls import (AID_CLASSES,
                                                   NWPU_RESISC45_CLASSES)
    except ImportError:  # allow running from a source checkout
        sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
        from rsvheat_mm.datasets.scene_cls import (AID_CLASSES,
                                                   NWPU_RESISC45_CLASSES)
    return {'aid': AID_CLASSES, 'nwpu': NWPU_RESISC45_CLASSES}[dataset]


def _match(folders, classes):
    from rsvheat_mm.datasets.scene_cls import match_class_folders
    return match_class_folders(folders, classes)


def scan(root: str, dataset: str) -> Dict[str, Tuple[int, List[str]]]:
    """``{class folder: (label, sorted relative file paths)}``.

    Raises:
        FileNotFoundError: ``root`` missing or a class folder without images.
        ValueError: class folders that do not match the dataset's classes.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'Dataset root {root!r} does not exist.')
    folders = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d))
                     and d not in ('splits', 'meta'))
    mapping = _match(folders, _classes(dataset))
    out = {}
    for folder in folders:
        files = []
        for cur, _, names in os.walk(osp.join(root, folder)):
            for n in names:
                if n.lower().endswith(IMG_EXTENSIONS):
                    files.append(osp.relpath(osp.join(cur, n), root)
                                 .replace(os.sep, '/'))
        if len(files) < 2:
            raise FileNotFoundError(
                f'Class folder {osp.join(root, folder)!r} has {len(files)} '
                f'image(s); each class needs at least 2 (one for training, '
                f'one for testing). Extensions: {IMG_EXTENSIONS}.')
        out[folder] = (mapping[folder], sorted(files))
    return out


def split_class(files: Sequence[str], ratio: float, seed: int,
                name: str) -> Tuple[List[str], List[str]]:
    """Deterministic per-class split (see the module docstring)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    order = rng.permutation(len(files))
    n_train = min(max(int(round(ratio * len(files))), 1), len(files) - 1)
    train = sorted(files[i] for i in order[:n_train])
    val = sorted(files[i] for i in order[n_train:])
    return train, val


def make_splits(root: str, dataset: str, out_dir: str,
                ratios: Optional[Sequence[float]] = None,
                seed: int = 0) -> Dict[str, str]:
    """Write ``train_trNN.txt`` / ``val_trNN.txt`` for each ratio.

    Args:
        root: Folder holding the class folders.
        dataset: ``'aid'`` or ``'nwpu'``.
        out_dir: Output folder (created).
        ratios: Training fractions. Defaults to the protocol of the dataset
            (AID 0.2, 0.5; NWPU 0.1, 0.2).
        seed: Split seed. Defaults to 0.

    Returns:
        ``{file name: path}`` of the written lists.
    """
    if dataset not in DEFAULT_RATIOS:
        raise ValueError(f'dataset must be one of {sorted(DEFAULT_RATIOS)}, '
                         f'got {dataset!r}')
    ratios = DEFAULT_RATIOS[dataset] if ratios is None else ratios
    for r in ratios:
        if not 0 < r < 1:
            raise ValueError(f'ratio {r} must be in (0, 1)')
    data = scan(root, dataset)
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for r in ratios:
        tag = f'tr{int(round(r * 100)):02d}'
        lines = {'train': [], 'val': []}
        for folder in sorted(data):
            label, files = data[folder]
            train, val = split_class(files, r, seed, folder)
            lines['train'] += [f'{f} {label}' for f in train]
            lines['val'] += [f'{f} {label}' for f in val]
        for part, rows in lines.items():
            path = osp.join(out_dir, f'{part}_{tag}.txt')
            with open(path, 'w') as fh:
                fh.write('\n'.join(rows) + '\n')
            written[osp.basename(path)] = path
    return written


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('dataset', choices=sorted(DEFAULT_RATIOS))
    p.add_argument('root', help='folder holding the class folders')
    p.add_argument('--out', default=None,
                   help='output folder (default: <root>/splits)')
    p.add_argument('--ratios', type=float, nargs='+', default=None,
                   help='training fractions (default: AID 0.2 0.5, '
                   'NWPU 0.1 0.2)')
    p.add_argument('--seed', type=int, default=0, help='default: 0')
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    out = args.out or osp.join(args.root, 'splits')
    for name, path in make_splits(args.root, args.dataset, out, args.ratios,
                                  args.seed).items():
        with open(path) as fh:
            n = sum(1 for _ in fh)
        print(f'{path}: {n} images')


if __name__ == '__main__':
    main()
