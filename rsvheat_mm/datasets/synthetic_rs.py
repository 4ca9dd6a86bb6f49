"""An embedded, procedurally generated remote-sensing segmentation dataset.

It lets ``make demo`` and the end-to-end tests train and evaluate a real
mmseg model with no download: nadir "aerial" tiles with textured ground,
roads, water bodies, tree crowns and buildings (with roofs and cast
shadows), and a per-pixel label. Generation is deterministic per
``(seed, split, index)``; files are written once into ``data_root`` in
mmseg's ``img_dir/{split}`` + ``ann_dir/{split}`` layout, atomically, so
that several processes (distributed runs) can ask for them at once.
"""
import os
from pathlib import Path
from typing import Tuple

import numpy as np

CLASSES = ('ground', 'building', 'road', 'water', 'vegetation')
PALETTE = [[190, 170, 130], [220, 60, 50], [120, 120, 120], [40, 90, 200],
           [40, 150, 60]]


def _smooth_noise(rng: np.random.Generator, size: int, scale: int) -> np.ndarray:
    """Value noise in [0, 1] with blobs of about ``size / scale`` pixels."""
    coarse = rng.random((scale + 1, scale + 1))
    t = np.linspace(0, scale, size, endpoint=False)
    i0 = t.astype(int)
    f = t - i0
    f = f * f * (3 - 2 * f)
    a = coarse[i0][:, i0] * (1 - f)[None, :] + coarse[i0][:, i0 + 1] * f[None]
    b = coarse[i0 + 1][:, i0] * (1 - f)[None, :] + \
        coarse[i0 + 1][:, i0 + 1] * f[None]
    return a * (1 - f)[:, None] + b * f[:, None]


def render_scene(rng: np.random.Generator,
                 size: int = 128) -> Tuple[np.ndarray, np.ndarray]:
    """Render one tile.

    Returns:
        ``(image, label)``: uint8 ``[size, size, 3]`` RGB and uint8
        ``[size, size]`` with values indexing :data:`CLASSES`.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    label = np.zeros((size, size), np.uint8)
    # water: a thresholded smooth field
    water = _smooth_noise(rng, size, 3) > 0.72
    label[water] = 3
    shadow = np.zeros((size, size), bool)
    # buildings: axis-aligned boxes, not on water or other buildings
    for _ in range(rng.integers(2, 7)):
        h, w = rng.integers(8, size // 4, 2)
        y0, x0 = rng.integers(0, size - h), rng.integers(0, size - w)
        box = np.zeros((size, size), bool)
        box[y0:y0 + h, x0:x0 + w] = True
        if (label[box] != 0).any():
            continue
        label[box] = 1
        sh = np.zeros((size, size), bool)
        sh[min(y0 + 3, size - 1):min(y0 + h + 3, size),
           min(x0 + 3, size - 1):min(x0 + w + 3, size)] = True
        shadow |= sh & ~box
    # roads: 1-3 straight strips
    for _ in range(rng.integers(1, 4)):
        ang = rng.uniform(0, np.pi)
        off = rng.uniform(-0.3, 0.3) * size
        dist = np.abs((xx - size / 2) * np.sin(ang) -
                      (yy - size / 2) * np.cos(ang) - off)
        label[(dist < rng.uniform(2.5, 5.0)) & (label == 0)] = 2
    # vegetation: clusters of round crowns
    for _ in range(rng.integers(6, 18)):
        cy, cx = rng.uniform(0, size, 2)
        r = rng.uniform(2.5, 6.0)
        crown = (yy - cy)**2 + (xx - cx)**2 < r * r
        label[crown & (label == 0)] = 4
    # colours and textures per class
    tex = _smooth_noise(rng, size, 16)[..., None]
    grain = rng.normal(0, 1, (size, size, 1))
    colours = np.array(PALETTE, np.float32)
    jitter = rng.uniform(0.8, 1.2, (len(CLASSES), 3))
    img = colours[label] * jitter[label]
    img *= 0.85 + 0.3 * tex
    img += grain * np.array([6, 6, 6])
    roof = (label == 1) & (((xx + yy) // 3) % 2 == 0)
    img[roof] *= 0.9
    img[shadow & (label != 1)] *= 0.55
    return np.clip(img, 0, 255).astype(np.uint8), label


def make_synthetic_split(root: str, split: str, num_images: int,
                         img_size: int = 128, seed: int = 0) -> Path:
    """Write ``num_images`` tiles of ``split`` under ``root`` (idempotent).

    Existing files are kept (nothing already written is rewritten); files
    are written to a temporary name and renamed, so concurrent callers never
    see a half-written PNG.
    """
    from PIL import Image
    root = Path(root)
    img_dir = root / 'img_dir' / split
    ann_dir = root / 'ann_dir' / split
    img_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    split_seed = {'train': 0, 'val': 1, 'test': 2}.get(split, 3)
    for i in range(num_images):
        name = f'{split}_{i:04d}.png'
        if (img_dir / name).exists() and (ann_dir / name).exists():
            continue
        rng = np.random.default_rng([seed, split_seed, i])
        img, lab = render_scene(rng, img_size)
        for arr, folder in ((img, img_dir), (lab, ann_dir)):
            tmp = folder / f'.{name}.{os.getpid()}.tmp.png'
            Image.fromarray(arr).save(tmp)
            os.replace(tmp, folder / name)
    return root
