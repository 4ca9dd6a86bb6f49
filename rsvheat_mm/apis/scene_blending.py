"""Stitching of overlapping window predictions with bounded memory.

:class:`RowBlender` takes the per-window logits of a scene in row-major
window order (the windows of
:func:`~rsvheat_mm.utils.patch.split.compute_windows`, clipped to the scene)
and returns the scene's blended prediction as finished row strips, top to
bottom. Every pixel gets ``sum_w weight_w * logits_w / sum_w weight_w`` over
the windows covering it, with a separable smooth weight (a raised-cosine ramp
over ``ramp`` px at each window edge, 1 inside), so overlaps cross-fade
instead of being hard-cut. Only what is still open is kept: the current
window, the columns it shares with the next window and the rows the current
window row shares with the next one -- never the scene.

:class:`MaskPolygonizer` turns the finished strips of a binary mask into
polygons (``rasterio.features.shapes``) and joins the pieces of one region
cut by strip borders, so each connected region (4-connectivity) is one
polygon.
"""
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['window_ramp', 'window_weight', 'grid_of', 'RowBlender',
           'MaskPolygonizer']


def window_ramp(length: int, ramp: int) -> np.ndarray:
    """1-D weight of a window side: raised cosine over ``ramp`` px at both
    ends (strictly positive), 1 in between (float32 ``[length]``)."""
    w = np.ones(length, np.float32)
    r = int(min(ramp, length // 2))
    if r > 0:
        t = (np.arange(r, dtype=np.float64) + 0.5) / r
        up = (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)
        w[:r] = up
        w[length - r:] = np.minimum(w[length - r:], up[::-1])
    return w


def window_weight(height: int, width: int, ramp: int) -> np.ndarray:
    """Separable 2-D window weight ``[height, width]`` (float32)."""
    return np.outer(window_ramp(height, ramp), window_ramp(width, ramp))


def grid_of(windows: np.ndarray) -> Tuple[List[int], List[int]]:
    """Sorted column and row starts of row-major windows."""
    return (sorted(set(int(v) for v in windows[:, 0])),
            sorted(set(int(v) for v in windows[:, 1])))


class RowBlender:
    """Blend window logits into finished row strips.

    Feed windows with :meth:`add` in row-major order (as
    ``compute_windows`` lists them); each call returns the strips that became
    final, as ``(row0, values)``: ``values`` is ``reduce`` of the blended
    logits (e.g. the class map ``[rows, width]``), or the logits ``[C, rows,
    width]`` (float32) without ``reduce``. Reducing column block by column
    block keeps only the reduced strip, not ``C`` float planes of it.

    Args:
        width: Scene width.
        height: Scene height.
        windows: ``[K, 4]`` windows ``[x1, y1, x2, y2]`` inside the scene,
            all of one size, row-major.
        channels: Logit channels (classes).
        ramp: Cross-fade length in px (usually the overlap). Defaults to 0
            (flat weights: a plain mean over overlaps).
        reduce: ``reduce(logits [C, n, m]) -> [n, m]`` applied to finished
            pixels (e.g. argmax). Defaults to None (keep the logits).
        out_dtype: dtype of ``reduce``'s output. Defaults to uint8.
    """

    def __init__(self, width: int, height: int, windows: np.ndarray,
                 channels: int, ramp: int = 0,
                 reduce: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                 out_dtype=np.uint8) -> None:
        self.width, self.height, self.channels = width, height, channels
        self.reduce, self.out_dtype = reduce, out_dtype
        windows = np.asarray(windows)
        self.xs, self.ys = grid_of(windows)
        self.pw = int(windows[0, 2] - windows[0, 0])
        self.ph = int(windows[0, 3] - windows[0, 1])
        if not ((windows[:, 2] - windows[:, 0] == self.pw).all() and
                (windows[:, 3] - windows[:, 1] == self.ph).all()):
            raise ValueError('RowBlender needs windows of one size')
        if len(windows) != len(self.xs) * len(self.ys) or \
                windows[:, 2].max() > width or windows[:, 3].max() > height:
            raise ValueError('RowBlender needs a full row-major grid of '
                             'windows inside the scene')
        self.weight = window_weight(self.ph, self.pw, ramp)
        self._k = 0
        self._carry = None  # [C, rows, W] logits shared with the next row
        self._carry_w = None  # [rows, W]
        self._pending = None  # (x0, acc [C, ph, n], w [ph, n])
        # one carry storage for every row, sized for the largest overlap of
        # the grid: each column block of the carry is read (rows of the last
        # window row) before the same block is overwritten (rows shared with
        # the next), so two buffers would double the memory
        most = max((a + self.ph - b for a, b in zip(self.ys, self.ys[1:])),
                   default=0)
        self._buf = (np.zeros((channels, most, width), np.float32),
                     np.zeros((most, width), np.float32))

    def _start_row(self, r: int) -> None:
        y0 = self.ys[r]
        yn = self.ys[r + 1] if r + 1 < len(self.ys) else self.height
        self._y0, self._yn = y0, yn
        if self.reduce is None:
            self._out = np.empty((self.channels, yn - y0, self.width),
                                 np.float32)
        else:
            self._out = np.empty((yn - y0, self.width), self.out_dtype)
        rows = y0 + self.ph - yn
        self._next_carry = self._buf[0][:, :rows]
        self._next_carry_w = self._buf[1][:rows]

    def add(self, logits: np.ndarray) -> List[Tuple[int, np.ndarray]]:
        """Add the next window's logits ``[C, ph, pw]``."""
        nx = len(self.xs)
        r, c = divmod(self._k, nx)
        if r >= len(self.ys):
            raise RuntimeError('RowBlender got more windows than the grid')
        logits = np.asarray(logits, np.float32)
        if logits.shape != (self.channels, self.ph, self.pw):
            raise ValueError(f'window logits of shape {logits.shape}, '
                             f'expected {(self.channels, self.ph, self.pw)}')
        if c == 0:
            self._start_row(r)
            self._pending = None
        x0 = self.xs[c]
        acc = logits * self.weight
        wsum = self.weight.copy()
        if self._pending is not None:  # columns shared with the last window
            px0, pacc, pw_ = self._pending
            n = pacc.shape[-1]
            acc[:, :, :n] += pacc
            wsum[:, :n] += pw_
        x_next = self.xs[c + 1] if c + 1 < nx else self.width
        done = x_next - x0  # columns final after this window
        self._finish_columns(x0, acc[:, :, :done], wsum[:, :done])
        if c + 1 < nx:
            self._pending = (x_next, acc[:, :, done:].copy(),
                             wsum[:, done:].copy())
        self._k += 1
        if c + 1 < nx:
            return []
        # row finished: the strip [y0, yn) is final
        self._carry, self._carry_w = self._next_carry, self._next_carry_w
        return [(self._y0, self._out)]

    def _finish_columns(self, a: int, acc: np.ndarray,
                        wsum: np.ndarray) -> None:
        b = a + acc.shape[-1]
        if self._carry is not None and self._carry.shape[1]:
            hc = self._carry.shape[1]
            acc[:, :hc] += self._carry[:, :, a:b]
            wsum[:hc] += self._carry_w[:, a:b]
        n = self._yn - self._y0
        blended = acc[:, :n] / wsum[None, :n]
        if self.reduce is None:
            self._out[:, :, a:b] = blended
        else:
            self._out[:, a:b] = self.reduce(blended)
        self._next_carry[:, :, a:b] = acc[:, n:]
        self._next_carry_w[:, a:b] = wsum[n:]

    @property
    def finished(self) -> bool:
        return self._k == len(self.xs) * len(self.ys)


class MaskPolygonizer:
    """Polygons of the non-zero regions of a mask given strip by strip.

    Each strip is vectorised with ``rasterio.features.shapes``
    (4-connectivity, pixel-corner coordinates); pieces touching the strip's
    bottom edge wait for the next strip and are joined (``shapely``) with the
    pieces they share an edge with. Features come out in pixel coordinates;
    the caller maps them to the CRS.

    Args:
        width: Mask width.
        height: Mask height.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._open: List = []  # shapely geometries touching the last seam

    def add(self, row0: int, mask: np.ndarray) -> Iterator:
        """Vectorise rows ``[row0, row0 + len(mask))``; yields finished
        shapely (multi)polygons in pixel coordinates."""
        from affine import Affine
        from rasterio.features import shapes
        from shapely.geometry import shape
        row1 = row0 + mask.shape[0]
        mask = np.ascontiguousarray(mask.astype(np.uint8))
        pieces = [shape(g) for g, v in shapes(
            mask, mask=mask > 0, connectivity=4,
            transform=Affine(1, 0, 0, 0, 1, row0)) if v > 0]
        top = [p for p in pieces if p.bounds[1] <= row0]
        rest = [p for p in pieces if p.bounds[1] > row0]
        merged = self._join(self._open, top, row0)
        last = row1 >= self.height
        self._open = []
        for g in merged + rest:
            if not last and g.bounds[3] >= row1:
                self._open.append(g)
            else:
                yield g

    @staticmethod
    def _join(old: Sequence, new: Sequence, seam: float) -> List:
        """Union the old pieces with the new ones they share a seam edge
        with (connected groups); unmatched pieces are returned as they are.
        """
        from shapely.ops import unary_union
        items = list(old) + list(new)
        n_old = len(old)
        parent = list(range(len(items)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(n_old):
            for j in range(n_old, len(items)):
                a, b = items[i], items[j]
                if a.bounds[2] <= b.bounds[0] or b.bounds[2] <= a.bounds[0]:
                    continue
                if a.intersection(b).length > 0:  # a shared edge, not a corner
                    parent[find(i)] = find(j)
        groups = {}
        for i in range(len(items)):
            groups.setdefault(find(i), []).append(items[i])
        return [g[0] if len(g) == 1 else unary_union(g)
                for g in groups.values()]

    def close(self) -> List:
        """Pieces still open (none once the last strip was added)."""
        out, self._open = self._open, []
        return out


def run_windows(windows: np.ndarray, predict: Callable[[np.ndarray],
                                                       Sequence[np.ndarray]],
                blender: RowBlender, batch_size: int = 1,
                on_strip: Optional[Callable[[int, np.ndarray], None]] = None,
                progress=None) -> None:
    """Predict windows in batches and feed the blender (helper).

    Args:
        windows: Row-major windows.
        predict: ``predict(batch_windows) -> [C, h, w] logits per window``.
        blender: The :class:`RowBlender`.
        batch_size: Windows per ``predict`` call. Defaults to 1.
        on_strip: Called with each finished ``(row0, values)``.
        progress: Object with ``update()`` (a progress bar) or None.
    """
    for start in range(0, len(windows), batch_size):
        batch = windows[start:start + batch_size]
        for logits in predict(batch):
            for row0, values in blender.add(logits):
                if on_strip is not None:
                    on_strip(row0, values)
            if progress is not None:
                progress.update()
