"""Split large images (and their boxes) into overlapping tiles.

The rules follow the DOTA development kit and mmrotate's ``img_split.py``:

* Windows of ``patch_size`` advance by ``patch_size - gap``; the last window
  of a row/column is aligned to the image border, so every pixel is covered
  and images of any size work (an image smaller than a patch gives one
  window, padded with ``pad_value``).
* An object goes to a window when its *intersection over its own area*
  (IoF) is at least ``iof_thr`` (0.7 in the DOTA tools).
* An object fully inside keeps its corners. A cut object is clipped to the
  window (Sutherland-Hodgman) and, as in the DOTA kit, reduced to 4
  corners (a 5-gon merges its shortest edge, larger polygons take their
  minimum-area rectangle) whose coordinates are clipped to the window; it
  is marked ``truncated`` and, with ``truncated_difficult`` (the kit's
  behaviour), gets difficult flag 2.
* Tile ids are ``{stem}__{patch_size}__{x}___{y}`` (like the distributed
  DOTA tiles, e.g. ``P2805__1024__0___0``); at a scale ``rate != 1`` the
  middle field is ``{patch_size}x{rate:g}`` and offsets are in the scaled
  image. :func:`parse_tile_id` inverts it.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'Tile', 'tile_id', 'parse_tile_id', 'compute_windows', 'polygon_area',
    'clip_polygon', 'split_objects', 'split_image'
]

_TILE_RE = re.compile(r'^(?P<stem>.+)__(?P<size>\d+)(?:x(?P<rate>[0-9.]+))?'
                      r'__(?P<x>\d+)___(?P<y>\d+)$')


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

    Raises:
        ValueError: ``name`` is not a tile id.
    """
    m = _TILE_RE.match(name)
    if m is None:
        raise ValueError(
            f'{name!r} is not a tile id of the form '
            f'"<image>__<patch_size>__<x>___<y>" (written by '
            f'tools/dataset_converters/split_large_images.py and by the '
            f'DOTA tools). Merge needs it to place tiles in the image.')
    rate = float(m.group('rate')) if m.group('rate') else 1.0
    return m.group('stem'), int(m.group('x')), int(m.group('y')), rate


def _starts(length: int, patch: int, step: int) -> List[int]:
    if length <= patch:
        return [0]
    starts = list(range(0, length - patch, step))
    starts.append(length - patch)
    return sorted(set(starts))


def compute_windows(width: int, height: int, patch_size: int = 1024,
                    gap: int = 200) -> np.ndarray:
    """Windows ``[x1, y1, x2, y2]`` (int64, exclusive ends) covering an image.

    Args:
        width: Image width.
        height: Image height.
        patch_size: Window side. Defaults to 1024.
        gap: Overlap of neighbouring windows. Defaults to 200.

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
    xs, ys = _starts(width, patch_size, step), _starts(height, patch_size,
                                                       step)
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


def _to_quad(pts: np.ndarray) -> np.ndarray:
    """4 corners of a clipped polygon, as the DOTA kit does.

    4 vertices: kept. 5 vertices: the two ends of the shortest edge merge
    into its midpoint. More: the minimum-area rectangle.
    """
    pts = _dedupe(pts)
    if len(pts) == 4:
        return pts
    if len(pts) == 5:
        edges = np.linalg.norm(pts - np.roll(pts, -1, 0), axis=1)
        i = int(edges.argmin())
        j = (i + 1) % 5
        mid = (pts[i] + pts[j]) / 2
        quad = [mid if k == i else pts[k] for k in range(5) if k != j]
        return np.stack(quad)
    import cv2
    rect = cv2.minAreaRect(pts.astype(np.float32))
    return cv2.boxPoints(rect).astype(np.float64)


def split_objects(objects: Sequence[Dict], window: Sequence[int],
                  iof_thr: float = 0.7, truncated_difficult: bool = True,
                  min_area: float = 1.0) -> List[Dict]:
    """Objects of one window, in window coordinates.

    Args:
        objects: Objects with ``poly`` (8 coords), ``name``, ``difficult``.
        window: ``[x1, y1, x2, y2]``.
        iof_thr: Minimal intersection-over-object-area to keep an object.
            Defaults to 0.7 (DOTA tools).
        truncated_difficult: Give cut objects difficult flag 2, as the DOTA
            kit does. Defaults to True.
        min_area: Objects with a smaller area are dropped. Defaults to 1.

    Returns:
        New dicts with ``poly``, ``name``, ``difficult``, ``truncated``
        (bool) and ``iof``.
    """
    x1, y1 = float(window[0]), float(window[1])
    out = []
    for obj in objects:
        pts = np.asarray(obj['poly'], dtype=np.float64).reshape(4, 2)
        area = polygon_area(pts)
        if area < min_area:
            continue
        clipped = clip_polygon(pts, window)
        inter = polygon_area(clipped)
        iof = inter / area
        if iof < iof_thr or len(clipped) < 3:
            continue
        truncated = iof < 1 - 1e-6
        quad = pts
        if truncated:  # clip to the window as the DOTA kit does
            quad = _to_quad(clipped)
            quad[:, 0] = quad[:, 0].clip(window[0], window[2])
            quad[:, 1] = quad[:, 1].clip(window[1], window[3])
        difficult = int(obj.get('difficult', 0))
        if truncated and truncated_difficult:
            difficult = max(difficult, 2)
        out.append(dict(poly=(quad - (x1, y1)).reshape(-1).astype(np.float32),
                        name=obj['name'], difficult=difficult,
                        truncated=truncated, iof=float(iof)))
    return out


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
                keep_empty: bool = True, truncated_difficult: bool = True,
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
        truncated_difficult: See :func:`split_objects`. Defaults to True.
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
        tile_objs = split_objects(scaled, win, iof_thr, truncated_difficult)
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
