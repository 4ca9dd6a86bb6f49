"""Split large images (and their boxes) into overlapping tiles.

Windows:

* Windows of ``patch_size`` advance by ``patch_size - gap``; the last window
  of a row/column is aligned to the image border, so every pixel is covered
  and images of any size work (an image smaller than a patch gives one
  window, padded with ``pad_value``). This is the window layout of the DOTA
  development kit (``ImgSplit.py``) and of mmrotate 1.x
  (``tools/data/dota/split/img_split.py``).

Objects cut by a window (``iof`` = intersection over the object's own area)
follow one of two published rules, chosen by ``mode``:

* ``'mmrotate'`` (the default): as mmrotate 1.x ``img_split.py``, an object
  goes to a window when ``iof >= iof_thr`` (0.7) and keeps its own corners
  (not clipped; they may reach past the tile) and its own difficulty; pieces
  below the threshold are dropped. This is the default because the shipped
  configs train mmrotate detectors whose reference numbers come from tiles
  split this way, and mmrotate's ``DOTADataset`` (``diff_thr=100``) trains on
  difficulty-2 objects too, so the kit's slivers would become positives.
* ``'devkit'``: as the DOTA kit ``ImgSplit.py``, every piece with ``iof > 0``
  is kept, clipped to the window and reduced to 4 corners (4 vertices: kept;
  5: the shortest edge merges into its midpoint; more: dropped, as the kit
  does), the corners rotated to best match the original order; a piece with
  ``iof <= iof_thr`` gets difficulty 2, the others keep their own.

Tile ids are ``{stem}__{patch_size}__{x}___{y}`` (as mmrotate and the
distributed DOTA tiles, e.g. ``P2805__1024__0___0``); at a scale
``rate != 1`` the middle field is ``{patch_size}x{rate:g}`` and offsets are
in the scaled image. :func:`parse_tile_id` also reads the DOTA kit's ids,
whose middle field is the rate (``P0001__0.5__0___0``, ``P0001__1__0___0``).
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'Tile', 'tile_id', 'parse_tile_id', 'compute_windows', 'polygon_area',
    'clip_polygon', 'split_objects', 'split_image', 'objects_outside',
    'SPLIT_MODES'
]

_TILE_RE = re.compile(r'^(?P<stem>.+)__(?P<mid>\d+(?:\.\d*)?)'
                      r'(?:x(?P<rate>\d+(?:\.\d*)?))?'
                      r'__(?P<x>\d+)___(?P<y>\d+)$')
#: a whole-number middle field below this is a DOTA-kit rate, not a size
_MIN_PATCH = 32
SPLIT_MODES = ('mmrotate', 'devkit')


@dataclass
class Tile:
    """One window of a split image.

    Attributes:
        id: Tile id (see :func:`tile_id`).
        x: Left offset in the (scaled) image.
        y: Top offset in the (scaled) image.
        rate: Scale applied to the image before splitting.
        image: The tile pixels ([patch, patch(, C)]), or None when the split
            ran without an image.
        objects: Objects in tile coordinates (``poly``, ``name``,
            ``difficult``, ``truncated``, ``iof``).
    """
    id: str
    x: int
    y: int
    rate: float = 1.0
    image: Optional[np.ndarray] = None
    objects: List[Dict] = field(default_factory=list)


def tile_id(stem: str, x: int, y: int, patch_size: int,
            rate: float = 1.0) -> str:
    """Id of a tile: ``{stem}__{patch_size}[x{rate}]__{x}___{y}``."""
    mid = str(patch_size) if rate == 1 else f'{patch_size}x{rate:g}'
    return f'{stem}__{mid}__{int(x)}___{int(y)}'


def parse_tile_id(name: str) -> Tuple[str, int, int, float]:
    """Inverse of :func:`tile_id`: ``(stem, x, y, rate)``.

    Reads three spellings of the middle field:

    * ``1024`` -- window size (ours at rate 1, mmrotate): rate 1;
    * ``1024x0.5`` -- window size and rate (ours);
    * ``0.5``, ``1.0``, ``1``, ``2`` -- the DOTA kit's rate (a number with a
      decimal point, or a whole number below 32, which no window size is).

    Raises:
        ValueError: ``name`` is not a tile id.
    """
    m = _TILE_RE.match(name)
    if m is None:
        raise ValueError(
            f'{name!r} is not a tile id of the form '
            f'"<image>__<patch_size>__<x>___<y>" (written by '
            f'tools/dataset_converters/split_large_images.py and mmrotate) '
            f'or "<image>__<rate>__<x>___<y>" (DOTA kit). Merge needs it to '
            f'place tiles in the image.')
    mid = m.group('mid')
    if m.group('rate'):
        rate = float(m.group('rate'))
    elif '.' in mid or int(mid) < _MIN_PATCH:
        rate = float(mid)  # DOTA kit: the middle field is the rate
    else:
        rate = 1.0
    if rate <= 0:
        raise ValueError(f'{name!r}: scale rate {rate} must be positive.')
    return m.group('stem'), int(m.group('x')), int(m.group('y')), rate


def _starts(length: int, patch: int, step: int,
            even: bool = False) -> List[int]:
    if length <= patch:
        return [0]
    if even:
        # as few windows as with ``step``, spread over the length: every
        # step is floor or ceil of (length - patch) / (n - 1) <= step
        n = -(-(length - patch) // step) + 1
        return [round(i * (length - patch) / (n - 1)) for i in range(n)]
    starts = list(range(0, length - patch, step))
    starts.append(length - patch)
    return sorted(set(starts))


def compute_windows(width: int, height: int, patch_size: int = 1024,
                    gap: int = 200, even: bool = False) -> np.ndarray:
    """Windows ``[x1, y1, x2, y2]`` (int64, exclusive ends) covering an image.

    Args:
        width: Image width.
        height: Image height.
        patch_size: Window side. Defaults to 1024.
        gap: Overlap of neighbouring windows. Defaults to 200.
        even: Spread the windows evenly (the same number of windows, every
            overlap ``gap`` or a little more) instead of steps of
            ``patch_size - gap`` with the last window moved back to the
            border (the DOTA devkit's split, whose last overlap can be
            almost a whole window). Defaults to False.

    Returns:
        [K, 4] windows, row-major. Windows may extend past the border of
        an image smaller than ``patch_size`` (that tile is padded).
    """
    if patch_size <= gap:
        raise ValueError(f'patch_size ({patch_size}) must be larger than '
                         f'gap ({gap}).')
    if width < 1 or height < 1:
        raise ValueError(f'empty image ({width} x {height})')
    step = patch_size - gap
    xs = _starts(width, patch_size, step, even)
    ys = _starts(height, patch_size, step, even)
    return np.array([[x, y, x + patch_size, y + patch_size] for y in ys
                     for x in xs], dtype=np.int64)


def polygon_area(pts: np.ndarray) -> float:
    """Unsigned shoelace area of a polygon [K, 2]."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return 0.
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) -
                           np.dot(y, np.roll(x, -1))))


def clip_polygon(pts: np.ndarray, rect: Sequence[float]) -> np.ndarray:
    """Clip a polygon [K, 2] to an axis-aligned rectangle (x1, y1, x2, y2).

    Sutherland-Hodgman; exact for convex and concave subject polygons
    against the convex rectangle. Returns [M, 2] (M may be 0).
    """
    x1, y1, x2, y2 = (float(v) for v in rect)
    # (axis, bound, keep-if-greater)
    edges = ((0, x1, True), (0, x2, False), (1, y1, True), (1, y2, False))
    out = [tuple(p) for p in np.asarray(pts, dtype=np.float64).reshape(-1, 2)]
    for axis, bound, greater in edges:
        if not out:
            break

        def inside(p, axis=axis, bound=bound, greater=greater):
            return p[axis] >= bound if greater else p[axis] <= bound

        src, out = out, []
        for i, cur in enumerate(src):
            prev = src[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(_cross(prev, cur, axis, bound))
                out.append(cur)
            elif inside(prev):
                out.append(_cross(prev, cur, axis, bound))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _cross(p, q, axis, bound):
    t = (bound - p[axis]) / (q[axis] - p[axis])
    r = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return (bound, r[1]) if axis == 0 else (r[0], bound)


def _dedupe(pts: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    keep = [p for i, p in enumerate(pts)
            if np.abs(p - pts[i - 1]).max() > eps] if len(pts) > 1 else \
        list(pts)
    return np.array(keep, dtype=np.float64).reshape(-1, 2)


def _to_quad(pts: np.ndarray, ref: np.ndarray) -> Optional[np.ndarray]:
    """4 corners of a clipped polygon, as the DOTA kit does, or None.

    4 vertices: kept. 5 vertices: the two ends of the shortest edge merge
    into its midpoint. Fewer or more: None (the kit drops such pieces).
    The corners are then rotated cyclically to lie closest to ``ref`` (the
    original corners), as the kit's ``choose_best_pointorder_fit_another``.
    """
    pts = _dedupe(pts)
    if len(pts) == 5:
        edges = np.linalg.norm(pts - np.roll(pts, -1, 0), axis=1)
        i = int(edges.argmin())
        j = (i + 1) % 5
        mid = (pts[i] + pts[j]) / 2
        pts = np.stack([mid if k == i else pts[k] for k in range(5)
                        if k != j])
    if len(pts) != 4:
        return None
    rolls = [np.roll(pts, -k, 0) for k in range(4)]
    dists = [((r - ref)**2).sum() for r in rolls]
    return rolls[int(np.argmin(dists))]


def split_objects(objects: Sequence[Dict], window: Sequence[int],
                  iof_thr: float = 0.7, mode: str = 'mmrotate',
                  min_area: float = 1.0) -> List[Dict]:
    """Objects of one window, in window coordinates.

    Args:
        objects: Objects with ``poly`` (8 coords), ``name``, ``difficult``.
        window: ``[x1, y1, x2, y2]``.
        iof_thr: IoF threshold (see the module doc). Defaults to 0.7 (both
            DOTA tools).
        mode: ``'mmrotate'`` (keep ``iof >= iof_thr`` unclipped with the own
            difficulty, drop the rest) or ``'devkit'`` (keep every piece,
            clipped, difficulty 2 when ``iof <= iof_thr``). Defaults to
            ``'mmrotate'``.
        min_area: Objects with a smaller area are dropped. Defaults to 1.

    Returns:
        New dicts with ``poly``, ``name``, ``difficult``, ``truncated``
        (bool: the window cuts the object) and ``iof``.
    """
    if mode not in SPLIT_MODES:
        raise ValueError(f'mode={mode!r}: choose one of {SPLIT_MODES}')
    x1, y1 = float(window[0]), float(window[1])
    out = []
    for obj in objects:
        pts = np.asarray(obj['poly'], dtype=np.float64).reshape(4, 2)
        area = polygon_area(pts)
        if area < min_area:
            continue
        clipped = clip_polygon(pts, window)
        iof = polygon_area(clipped) / area
        if len(clipped) < 3 or iof <= 0:
            continue
        truncated = iof < 1 - 1e-6
        difficult = int(obj.get('difficult', 0))
        quad = pts
        if mode == 'mmrotate':
            if iof < iof_thr:
                continue
        elif truncated:  # devkit: clip, 4 corners, difficulty 2 if small
            quad = _to_quad(clipped, pts)
            if quad is None:
                continue
            quad[:, 0] = quad[:, 0].clip(window[0], window[2])
            quad[:, 1] = quad[:, 1].clip(window[1], window[3])
            if iof <= iof_thr:
                difficult = 2
        out.append(dict(poly=(quad - (x1, y1)).reshape(-1).astype(np.float32),
                        name=obj['name'], difficult=difficult,
                        truncated=truncated, iof=float(iof)))
    return out


def objects_outside(objects: Sequence[Dict], width: int, height: int,
                    tol: float = 1.0) -> Tuple[List[int], List[int]]:
    """Objects lying wholly, and partly, outside a ``width x height`` image.

    Args:
        objects: Objects with ``poly``.
        width: Image width.
        height: Image height.
        tol: Pixels a corner may lie past the border before the object
            counts as partly outside. Defaults to 1.

    Returns:
        ``(wholly, partly)``: indices of objects without any area inside
        the image, and of objects with corners more than ``tol`` outside.
    """
    wholly: List[int] = []
    partly: List[int] = []
    rect = (0., 0., float(width), float(height))
    for k, obj in enumerate(objects):
        pts = np.asarray(obj['poly'], dtype=np.float64).reshape(-1, 2)
        xs, ys = pts[:, 0], pts[:, 1]
        off = (xs.max() < 0 or ys.max() < 0 or xs.min() > width
               or ys.min() > height)
        if off or (polygon_area(pts) > 0 and
                   polygon_area(clip_polygon(pts, rect)) <= 0):
            wholly.append(k)
            continue
        if (xs.min() < -tol or ys.min() < -tol or xs.max() > width + tol
                or ys.max() > height + tol):
            partly.append(k)
    return wholly, partly


def _fill_value(pad_value: Union[int, Sequence[int]],
                image: np.ndarray) -> np.ndarray:
    """Per-channel fill; a size mismatch (e.g. 1-band SAR) uses the first."""
    pv = np.asarray(pad_value, dtype=np.float64).reshape(-1)
    channels = image.shape[2] if image.ndim == 3 else 1
    if pv.size != channels:
        pv = np.full(channels, pv[0])
    return pv if image.ndim == 3 else pv[0]


def split_image(image: Optional[np.ndarray], objects: Sequence[Dict],
                stem: str, patch_size: int = 1024, gap: int = 200,
                rate: float = 1.0, iof_thr: float = 0.7,
                pad_value: Union[int, Sequence[int]] = (104, 116, 124),
                keep_empty: bool = True, mode: str = 'mmrotate',
                image_size: Optional[Tuple[int, int]] = None) -> List[Tile]:
    """Split one image and its objects into tiles.

    Args:
        image: [H, W] or [H, W, C] array, or None to split only the boxes
            (then ``image_size`` is required).
        objects: Objects in image coordinates (``poly``, ``name``,
            ``difficult``).
        stem: Image name without extension (first part of the tile id).
        patch_size: Tile side. Defaults to 1024.
        gap: Overlap. Defaults to 200.
        rate: Scale the image and boxes first. Defaults to 1.0.
        iof_thr: See :func:`split_objects`. Defaults to 0.7.
        pad_value: Fill of tiles past the image border (per channel).
            Defaults to (104, 116, 124) as mmrotate (BGR mean).
        keep_empty: Keep tiles without objects (needed at test time).
            Defaults to True.
        mode: Rule for cut objects, ``'mmrotate'`` or ``'devkit'`` (see
            the module doc). Defaults to ``'mmrotate'``.
        image_size: ``(height, width)`` when ``image`` is None. Defaults to
            None.

    Returns:
        The tiles, row-major.
    """
    if image is not None:
        if rate != 1:
            import cv2
            image = cv2.resize(image, None, fx=rate, fy=rate,
                               interpolation=cv2.INTER_LINEAR)
        height, width = image.shape[:2]
    elif image_size is not None:
        height, width = (int(round(s * rate)) for s in image_size)
    else:
        raise ValueError('split_image needs an image or image_size')
    scaled = [dict(obj, poly=np.asarray(obj['poly'], np.float32) * rate)
              for obj in objects]
    tiles = []
    for win in compute_windows(width, height, patch_size, gap):
        tile_objs = split_objects(scaled, win, iof_thr, mode=mode)
        if not tile_objs and not keep_empty:
            continue
        patch = None
        if image is not None:
            x1, y1, x2, y2 = (int(v) for v in win)
            crop = image[y1:min(y2, height), x1:min(x2, width)]
            shape = (patch_size, patch_size) + image.shape[2:]
            patch = np.empty(shape, dtype=image.dtype)
            patch[...] = _fill_value(pad_value, image)
            patch[:crop.shape[0], :crop.shape[1]] = crop
        tiles.append(Tile(id=tile_id(stem, win[0], win[1], patch_size, rate),
                          x=int(win[0]), y=int(win[1]), rate=rate,
                          image=patch, objects=tile_objs))
    return tiles
