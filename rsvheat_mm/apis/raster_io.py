"""Windowed raster reading and georeferenced writing for whole scenes.

GeoTIFF / COG (and anything else GDAL opens) are read through ``rasterio``
window by window, so a 20,000 x 20,000 px scene never sits in memory whole.
PNG / JPEG / BMP are read whole with OpenCV as before
(:func:`~rsvheat_mm.datasets.transforms.image_io.read_raster`): they carry no
georeference and GDAL can only decode them sequentially.

* :class:`RasterSource` -- one scene: size, bands, dtype, transform, CRS;
  :meth:`RasterSource.read_window` returns ``[h, w, C]`` in the model's
  channel order and dtype (see :class:`InputSpec`), padded past the border;
  :meth:`RasterSource.read_valid` the file's valid-pixel mask (nodata value,
  alpha band or internal mask, as GDAL reports it) of a window.
* :func:`check_pair` -- two scenes of a change pair must share size,
  transform and CRS (no silent resampling).
* :class:`RowStripWriter` -- a single-band tiled, compressed GeoTIFF written
  in row strips (block aligned), with the scene's transform / CRS and a colour
  table, under a temporary name renamed when complete.
* :func:`write_geojson` / :func:`pixel_polygon_to_crs` -- GeoJSON in the
  scene's CRS.
* :func:`overview_image` -- a downsampled 8-bit view of a scene (decimated
  reads, bounded memory).

Every failure names the file and the fix.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'InputSpec', 'RasterSource', 'open_raster', 'check_pair',
    'RowStripWriter', 'write_geojson', 'pixel_polygon_to_crs',
    'overview_image', 'stretch_to_uint8', 'temp_path', 'commit_temp',
    'WHOLE_READ_SUFFIXES', 'RASTER_SUFFIXES', 'display_rgb',
    'gdal_cache_env', 'overview_factors'
]

PathT = Union[str, Path]
#: files read whole with OpenCV (no georeference, no windowed decoding)
WHOLE_READ_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')
#: every suffix treated as a scene when a folder is given
RASTER_SUFFIXES = ('.tif', '.tiff', '.vrt', '.img', '.jp2') + \
    WHOLE_READ_SUFFIXES
RESCALE_MODES = ('none', 'percentile', 'minmax')


def temp_path(path: PathT) -> str:
    """Temporary name of an output: ``<dir>/.<name>.part`` (same folder, so
    the final rename is atomic)."""
    path = str(path)
    return osp.join(osp.dirname(path), '.' + osp.basename(path) + '.part')


def commit_temp(path: PathT) -> str:
    """Rename the finished temporary file of ``path`` to ``path``."""
    os.replace(temp_path(path), str(path))
    return str(path)


@dataclass
class InputSpec:
    """What the model expects of one input image.

    Attributes:
        channels: Bands the model takes from this image (after ``bands``).
        bands: 0-based band indices of the file, in the model's order, or
            None (all bands, in file order).
        uint8: The config's loader makes 8-bit images (``color_type``
            ``'color'`` / ``'grayscale'``); other dtypes need ``rescale``.
        bgr: Feed 3-band images as BGR (mmcv's ``LoadImageFromFile``
            decodes colour images as BGR); False feeds file order (RGB).
        rescale: How a non-uint8 scene becomes uint8 when ``uint8`` is set:
            ``'none'`` (refuse), ``'percentile'`` (2-98 % per band, from an
            overview read) or ``'minmax'``. Defaults to ``'none'``.
        value_range: Fixed ``(low, high)`` for the 8-bit stretch (overrides
            the statistics). Defaults to None.
        role: Name of this input in messages (e.g. ``'A (before)'``).
    """
    channels: int
    bands: Optional[List[int]] = None
    uint8: bool = False
    bgr: bool = False
    rescale: str = 'none'
    value_range: Optional[Tuple[float, float]] = None
    role: str = 'image'
    extra: Dict = field(default_factory=dict)


def gdal_cache_env(mb: int) -> Dict[str, int]:
    """``rasterio.Env`` options bounding GDAL's block cache to ``mb`` MiB.

    rasterio hands an integer ``GDAL_CACHEMAX`` to GDAL as *bytes* (GDAL's
    own "small numbers are MB" rule applies to strings, which rasterio does
    not accept): ``GDAL_CACHEMAX=64`` is a 64-byte cache, under which a
    decimated read of a 2048² tiled scene took 10.9 s instead of 0.05 s.
    """
    if mb < 1:
        raise ValueError(f'gdal_cache_mb={mb}: give at least 1 (MiB)')
    return dict(GDAL_CACHEMAX=int(mb) * 1024 * 1024)


def stretch_to_uint8(arr: np.ndarray, low: np.ndarray,
                     high: np.ndarray) -> np.ndarray:
    """Linear stretch of ``[h, w, C]`` from per-band ``[low, high]`` to
    0..255 (clipped)."""
    low = np.asarray(low, np.float32).reshape(1, 1, -1)
    high = np.asarray(high, np.float32).reshape(1, 1, -1)
    scale = 255. / np.maximum(high - low, 1e-12)
    out = (arr.astype(np.float32) - low) * scale
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


class RasterSource:
    """One scene, read window by window in the model's format.

    Args:
        path: A GeoTIFF / COG (any band count; uint8, uint16, int16,
            float32 ...), or a PNG / JPEG (read whole, as before).
        spec: What the model expects (:class:`InputSpec`). Defaults to
            None (all bands, file dtype, file order).
        overview_side: Longest side of the overview read that gives the
            ``'percentile'`` / ``'minmax'`` statistics (valid pixels only).
            Defaults to 1024.

    Invalid pixels (a nodata value, an alpha band, an internal mask) are
    reported by :meth:`read_valid`; an alpha band is dropped from the
    model's bands when the model wants one band fewer. A scene
    georeferenced by GCPs only keeps them (:attr:`gcps`,
    :meth:`pixel_to_crs`).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: It cannot be read, its band count does not fit
            ``spec``, or it is not 8-bit where the config needs 8 bits and
            no ``rescale`` is given. The message names the file and the fix.
    """

    def __init__(self, path: PathT, spec: Optional[InputSpec] = None,
                 overview_side: int = 1024) -> None:
        self.path = str(path)
        self.spec = spec
        self._ds = None
        self._array = None
        self._gcp_transformer = None
        self.gcps = None  # ground control points when it has only those
        if not osp.isfile(self.path):
            raise FileNotFoundError(
                f'Scene file not found: {self.path}. Check the path (and '
                f'the folder / list you passed).')
        if self.path.lower().endswith(WHOLE_READ_SUFFIXES):
            self._open_whole()
        else:
            self._open_rasterio()
        self.overview_side = overview_side
        self._select_bands()
        self._stats = None
        if self.needs_stretch:
            self._stats = self._stretch_stats()

    # -- opening --------------------------------------------------------
    def _open_whole(self) -> None:
        from ..datasets.transforms.image_io import read_raster
        # 8-bit configs read PNG / JPEG exactly as their OpenCV loader does
        ct = 'unchanged'
        if self.spec is not None and self.spec.uint8:
            ct = self.spec.extra.get('color_type', 'color')
        try:
            arr = read_raster(self.path, ct)
        except ValueError as e:
            raise ValueError(
                f'Cannot read scene {self.path}: {e} Re-export it as PNG / '
                f'JPEG / GeoTIFF.') from e
        self._array = arr  # [H, W, C], RGB order for colour images
        self.height, self.width = arr.shape[:2]
        self.count = arr.shape[2]
        self.dtype = arr.dtype
        self.transform = None
        self.crs = None
        self.alpha_band = None
        self._mask_flags = None
        self._floating = False

    def _open_rasterio(self) -> None:
        import rasterio
        from rasterio.errors import RasterioIOError
        try:
            self._ds = rasterio.open(self.path)
        except RasterioIOError as e:
            raise ValueError(
                f'Cannot read scene {self.path} ({e}). It is not a raster '
                f'GDAL can open (truncated download, wrong extension, or a '
                f'non-image file): re-export it as GeoTIFF, e.g. '
                f'`gdal_translate in out.tif`.') from e
        ds = self._ds
        self.height, self.width, self.count = ds.height, ds.width, ds.count
        dtypes = set(ds.dtypes)
        if len(dtypes) > 1:
            raise ValueError(
                f'Scene {self.path} mixes band dtypes {sorted(dtypes)}; '
                f'convert it to one dtype (gdal_translate -ot ...).')
        self.dtype = np.dtype(ds.dtypes[0])
        # NaN / inf in a float scene (SAR products often mark no data so,
        # without a nodata tag) are invalid pixels: one would make a whole
        # window's logits NaN through the global heat transform
        self._floating = bool(np.issubdtype(self.dtype, np.floating))
        self.transform = ds.transform
        self.crs = ds.crs
        gcps, gcp_crs = ds.gcps
        if ds.crs is None and gcps and gcp_crs is not None:
            # georeferenced by ground control points only (e.g. Sentinel-1
            # GRD, other SAR products): outputs carry the same GCPs
            self.gcps, self.crs = list(gcps), gcp_crs
        from rasterio.enums import ColorInterp, MaskFlags
        # an RGBA orthophoto's alpha band is a mask, not a model input
        self.alpha_band = next((i for i, c in enumerate(ds.colorinterp)
                                if c == ColorInterp.alpha), None)
        self._mask_flags = list(ds.mask_flag_enums)
        if self.alpha_band is not None and not self._alpha_is_mask():
            # GDAL tags band 4 of every 4-band uint8 GeoTIFF it writes as
            # alpha; an infrared band tagged so is data, not a mask
            self.alpha_band = None
            self._mask_flags = [
                [MaskFlags.all_valid] if MaskFlags.alpha in f else f
                for f in self._mask_flags]

    def _alpha_is_mask(self, rows: int = 64) -> bool:
        """Whether the band tagged alpha holds a mask: on ``rows`` rows
        spread over the scene at least 99 % of its values are 0 or the
        dtype's maximum and not all are 0."""
        from rasterio.windows import Window
        full = (np.iinfo(self.dtype).max
                if np.issubdtype(self.dtype, np.integer) else 1.)
        ys = np.linspace(0, self.height - 1, min(rows, self.height))
        step = max(1, self.width // 1024)
        try:
            vals = np.concatenate([
                self._ds.read(self.alpha_band + 1,
                              window=Window(0, int(y), self.width, 1))[
                                  0, ::step] for y in ys])
        except Exception as e:  # noqa: BLE001 - re-raised with the file
            raise ValueError(
                f'Reading the alpha band of {self.path} failed ({e}). The '
                f'file is probably truncated or corrupt: re-download or '
                f're-export it.') from e
        binary = (vals == 0) | (vals == full)
        return bool(binary.mean() >= 0.99 and (vals == full).any())

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None
        if self._gcp_transformer is not None:
            self._gcp_transformer.close()
            self._gcp_transformer = None

    def pixel_to_crs(self, xy: np.ndarray) -> np.ndarray:
        """Pixel ``[K, 2]`` (x = column, y = row, pixel corners) to the
        scene's CRS: its affine, or GDAL's GCP transformer (as ``gdalwarp``
        uses it) for a scene georeferenced by GCPs only; pixels when it has
        neither."""
        if self.gcps is None:
            return pixel_polygon_to_crs(xy, self.transform)
        from rasterio.transform import GCPTransformer
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        if self._gcp_transformer is None:
            self._gcp_transformer = GCPTransformer(self.gcps)
        xs, ys = self._gcp_transformer.xy(xy[:, 1], xy[:, 0], offset='ul')
        return np.stack([np.asarray(xs, np.float64),
                         np.asarray(ys, np.float64)], 1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def georeferenced(self) -> bool:
        """Whether the scene has a CRS (outputs are then in CRS units)."""
        return self.crs is not None

    @property
    def has_mask(self) -> bool:
        """Whether some pixels of the selected bands may be invalid: a
        nodata value, an alpha band or an internal / ``.msk`` mask (GDAL's
        mask flags), or a float scene (NaN / inf). Their outputs are
        written as nodata."""
        return self._floating or self._flags_mask

    @property
    def _flags_mask(self) -> bool:
        if self._mask_flags is None:
            return False
        from rasterio.enums import MaskFlags
        return any(list(self._mask_flags[b]) != [MaskFlags.all_valid]
                   for b in self.bands)

    def read_valid(self, window: Sequence[int]) -> Optional[np.ndarray]:
        """Valid pixels of window ``[x1, y1, x2, y2]`` (bool ``[h, w]``,
        False past the border): valid in every selected band. None when
        the scene has no mask (:attr:`has_mask`)."""
        if not self.has_mask:
            return None
        x1, y1, x2, y2 = (int(v) for v in window)
        cx1, cy1 = max(x1, 0), max(y1, 0)
        cx2, cy2 = min(x2, self.width), min(y2, self.height)
        out = np.zeros((y2 - y1, x2 - x1), bool)
        if cx2 <= cx1 or cy2 <= cy1:
            return out
        valid = np.ones((cy2 - cy1, cx2 - cx1), bool)
        # in row chunks of ~4 MiB: a full-width strip of a wide float scene
        # read at once would be ~100 MiB (384 rows x 20000 px x 4 bands)
        row_bytes = (cx2 - cx1) * len(self.bands) * self.dtype.itemsize
        step = max(1, (4 << 20) // row_bytes)
        for r in range(cy1, cy2, step):
            r2 = min(r + step, cy2)
            valid[r - cy1:r2 - cy1] = self._valid_chunk(cx1, r, cx2, r2)
        out[cy1 - y1:cy2 - y1, cx1 - x1:cx2 - x1] = valid
        return out

    def _valid_chunk(self, x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
        """Valid pixels of ``[y1:y2, x1:x2]`` (inside the scene)."""
        from rasterio.windows import Window
        valid = np.ones((y2 - y1, x2 - x1), bool)
        if self._flags_mask:
            try:
                m = self._ds.read_masks([b + 1 for b in self.bands],
                                        window=Window(x1, y1, x2 - x1,
                                                      y2 - y1))
            except Exception as e:  # noqa: BLE001 - re-raised with the file
                raise ValueError(
                    f'Reading the mask of window x={x1}..{x2}, '
                    f'y={y1}..{y2} of {self.path} failed ({e}). The file '
                    f'is probably truncated or corrupt: re-download or '
                    f're-export it.') from e
            valid &= (m > 0).all(0)
        if self._floating:
            valid &= np.isfinite(self._read_raw(x1, y1, x2, y2)).all(-1)
        return valid

    def strip_cache_mb(self, rows: int) -> int:
        """GDAL block cache (MiB) that keeps the strips of ``rows`` scene
        rows of a file stored in strips (untiled, GDAL's default layout):
        windows read left to right then decode each strip once per window
        row instead of once per window (docs/scene_inference.md). 0 for a
        tiled file or an image read whole."""
        if self._ds is None:
            return 0
        bh, bw = self._ds.block_shapes[0]
        if bw < self.width:
            return 0
        nbytes = (rows + 2 * bh) * self.width * self.count * \
            self.dtype.itemsize
        return int(np.ceil(1.25 * nbytes / 2**20))

    @property
    def shape(self) -> Tuple[int, int, int]:
        """``(height, width, channels fed to the model)``."""
        return self.height, self.width, len(self.bands)

    # -- band / dtype checks ----------------------------------------------
    def _select_bands(self) -> None:
        spec = self.spec
        if spec is None:
            self.bands = list(range(self.count))
            return
        role = f' ({spec.role})' if spec.role != 'image' else ''
        if spec.bands is not None:
            bands = [int(b) for b in spec.bands]
            bad = [b for b in bands if not 0 <= b < self.count]
            if bad:
                raise ValueError(
                    f'Scene {self.path}{role} has {self.count} band(s) '
                    f'(0..{self.count - 1}) but bands={bands} asks for '
                    f'{bad}. Fix --bands (0-based band indices, file order).')
        elif self.count == spec.channels:
            bands = list(range(self.count))
        elif self._array is not None and spec.channels == 3 and \
                self.count == 4 and self.dtype == np.uint8:
            bands = [0, 1, 2]  # RGBA PNG: drop alpha, as OpenCV did before
        elif self.alpha_band is not None and \
                self.count - 1 == spec.channels:
            # RGBA GeoTIFF: the colour bands; alpha masks the outputs
            bands = [b for b in range(self.count) if b != self.alpha_band]
        else:
            hint = ''
            if self.count > spec.channels:
                first = ','.join(str(i) for i in range(spec.channels))
                hint = (f' Pass --bands {first} (or the bands you want, '
                        f'0-based in file order) to choose {spec.channels}')
            else:
                hint = (' Use a scene with the bands the model was trained '
                        'on, or a config whose backbone in_channels is '
                        f'{self.count}')
            raise ValueError(
                f'Scene {self.path}{role} has {self.count} band(s) '
                f'({self.dtype}) but the model expects {spec.channels}.'
                f'{hint}.')
        if len(bands) != spec.channels:
            raise ValueError(
                f'Scene {self.path}{role}: bands={bands} selects '
                f'{len(bands)} band(s) but the model expects '
                f'{spec.channels}. Fix --bands.')
        self.bands = bands
        if spec.uint8 and self.dtype != np.uint8 and spec.rescale == 'none' \
                and spec.value_range is None:
            raise ValueError(
                f'Scene {self.path}{role} is {self.dtype} but the config '
                f'reads 8-bit images (color_type color/grayscale); it is not '
                f'converted silently. Pass --rescale percentile (2-98 % per '
                f'band), --rescale minmax or --value-range LOW HIGH to '
                f'stretch it to 0..255, or use a config whose pipeline keeps '
                f'{self.dtype} (color_type="unchanged").')
        if spec.rescale not in RESCALE_MODES:
            raise ValueError(f'rescale={spec.rescale!r}: choose one of '
                             f'{RESCALE_MODES}.')

    @property
    def needs_stretch(self) -> bool:
        return bool(self.spec is not None and self.spec.uint8 and
                    self.dtype != np.uint8)

    def _stretch_stats(self) -> Tuple[np.ndarray, np.ndarray]:
        spec = self.spec
        if spec.value_range is not None:
            lo, hi = spec.value_range
            n = len(self.bands)
            return np.full(n, lo, np.float32), np.full(n, hi, np.float32)
        ov = self.read_overview(self.overview_side, raw=True)
        flat = ov.reshape(-1, ov.shape[-1]).astype(np.float64)
        valid = np.isfinite(flat).all(1)  # NaN / inf of a float scene
        if self._flags_mask:  # nodata collars would pull the low end down
            valid &= self.read_overview(self.overview_side,
                                        masks=True).reshape(-1)
        flat = flat[valid] if valid.any() else np.zeros((1, ov.shape[-1]))
        if spec.rescale == 'percentile':
            lo, hi = np.percentile(flat, 2, 0), np.percentile(flat, 98, 0)
        else:
            lo, hi = flat.min(0), flat.max(0)
        return lo.astype(np.float32), hi.astype(np.float32)

    # -- reading ----------------------------------------------------------
    def _read_raw(self, x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
        """Bands of ``[y1:y2, x1:x2]`` (inside the scene) as ``[h, w, C]``."""
        if self._array is not None:
            return self._array[y1:y2, x1:x2][..., self.bands]
        from rasterio.windows import Window
        try:
            arr = self._ds.read([b + 1 for b in self.bands],
                                window=Window(x1, y1, x2 - x1, y2 - y1))
        except Exception as e:  # noqa: BLE001 - re-raised with the file
            raise ValueError(
                f'Reading window x={x1}..{x2}, y={y1}..{y2} of {self.path} '
                f'failed ({e}). The file is probably truncated or corrupt: '
                f're-download or re-export it.') from e
        return np.moveaxis(arr, 0, -1)

    def _to_model(self, arr: np.ndarray) -> np.ndarray:
        if self.needs_stretch:
            arr = stretch_to_uint8(arr, *self._stats)
        if self.spec is not None and self.spec.bgr and arr.shape[-1] >= 3:
            arr = arr[..., [2, 1, 0] + list(range(3, arr.shape[-1]))]
        return arr

    def read_window(self, window: Sequence[int],
                    pad_value: float = 0.) -> np.ndarray:
        """Window ``[x1, y1, x2, y2]`` as ``[h, w, C]`` for the model.

        Pixels past the scene border, and NaN / inf pixels of a float
        scene, are ``pad_value``. Channel order and dtype follow the
        :class:`InputSpec` (BGR / 8-bit stretch).
        """
        x1, y1, x2, y2 = (int(v) for v in window)
        cx1, cy1 = max(x1, 0), max(y1, 0)
        cx2, cy2 = min(x2, self.width), min(y2, self.height)
        raw = self._read_raw(cx1, cy1, cx2, cy2)  # a fresh buffer
        bad = ~np.isfinite(raw).all(-1) if self._floating else None
        if bad is not None and not bad.any():
            bad = None
        if bad is not None:  # NaN / inf read as padding
            raw[bad] = 0  # keeps the stretch finite
        inner = self._to_model(raw)
        if bad is not None:
            inner[bad] = pad_value
        if (cx1, cy1, cx2, cy2) == (x1, y1, x2, y2):
            return np.ascontiguousarray(inner)
        out = np.full((y2 - y1, x2 - x1, inner.shape[2]), pad_value,
                      dtype=inner.dtype)
        out[cy1 - y1:cy2 - y1, cx1 - x1:cx2 - x1] = inner
        return out

    def read_overview(self, max_side: int = 1024, raw: bool = False,
                      masks: bool = False) -> np.ndarray:
        """The whole scene downsampled to at most ``max_side`` px.

        Decimated reads (GDAL overviews when the file has them), so memory is
        that of the overview. ``raw`` keeps file values, else the model's;
        ``masks`` gives the valid-pixel mask instead (bool ``[h, w]``, all
        True without :attr:`has_mask`).
        """
        scale = max(self.width, self.height) / float(max_side)
        oh = max(1, int(round(self.height / max(scale, 1.))))
        ow = max(1, int(round(self.width / max(scale, 1.))))
        if masks:
            if not self.has_mask:
                return np.ones((oh, ow), bool)
            return self._nearest_rows(oh, ow, masks=True)
        if self._array is not None:
            import cv2
            arr = self._array[..., self.bands]
            if (oh, ow) != arr.shape[:2]:
                arr = cv2.resize(arr, (ow, oh), interpolation=cv2.INTER_AREA)
                if arr.ndim == 2:
                    arr = arr[..., None]
        elif (oh, ow) == (self.height, self.width) or \
                self._ds.overviews(1):
            # small scene, or GDAL picks the file's own overview level
            from rasterio.enums import Resampling
            arr = self._ds.read([b + 1 for b in self.bands],
                                out_shape=(len(self.bands), oh, ow),
                                resampling=Resampling.nearest)
            arr = np.moveaxis(arr, 0, -1)
        else:
            arr = self._nearest_rows(oh, ow)
        return arr if raw else self._to_model(arr)

    def _nearest_rows(self, oh: int, ow: int,
                      masks: bool = False) -> np.ndarray:
        """Nearest-neighbour decimation of a file without overviews, one
        needed row at a time. GDAL's own decimated read of a whole scene
        held ~150 MiB more at 16384² (3 bands) and took longer; row by row
        the memory is one row plus GDAL's bounded block cache, and each
        tile row is decoded once while the cache holds it. ``masks``:
        the valid-pixel mask (bool ``[oh, ow]``) instead of the bands."""
        from rasterio.windows import Window
        ys = np.minimum(((np.arange(oh) + 0.5) * self.height / oh)
                        .astype(np.int64), self.height - 1)
        xs = np.minimum(((np.arange(ow) + 0.5) * self.width / ow)
                        .astype(np.int64), self.width - 1)
        bands = [b + 1 for b in self.bands]

        def read(fn, y):
            try:
                return fn(bands, window=Window(0, int(y), self.width, 1))
            except Exception as e:  # noqa: BLE001 - re-raised with the file
                raise ValueError(
                    f'Reading row {int(y)} of {self.path} failed ({e}). The '
                    f'file is probably truncated or corrupt: re-download or '
                    f're-export it.') from e

        if masks:  # GDAL's mask flags, and finite values of a float scene
            out = np.ones((oh, ow), bool)
            for i, y in enumerate(ys):
                if self._flags_mask:
                    out[i] &= (read(self._ds.read_masks, y)[:, 0, xs] > 0
                               ).all(0)
                if self._floating:
                    out[i] &= np.isfinite(read(self._ds.read, y)[:, 0, xs]
                                          ).all(0)
            return out
        out = None
        for i, y in enumerate(ys):
            row = read(self._ds.read, y)
            if out is None:
                out = np.empty((oh, ow, len(bands)), row.dtype)
            out[i] = row[:, 0, xs].T
        return out


def open_raster(path: PathT, spec: Optional[InputSpec] = None) -> \
        RasterSource:
    """Open a scene (see :class:`RasterSource`)."""
    return RasterSource(path, spec)


def check_pair(a: RasterSource, b: RasterSource) -> None:
    """Refuse a change pair that is not on one pixel grid.

    Raises:
        ValueError: Size, transform or CRS differ; the message names both
            files and says how to co-register them.
    """
    problems = []
    if (a.height, a.width) != (b.height, b.width):
        problems.append(f'size {a.width}x{a.height} vs {b.width}x{b.height}')
    if (a.transform is None) != (b.transform is None):
        problems.append('one is georeferenced, the other is not')
    elif a.transform is not None and not a.transform.almost_equals(
            b.transform, 1e-9):
        problems.append(f'transform {tuple(a.transform)[:6]} vs '
                        f'{tuple(b.transform)[:6]}')
    if a.crs != b.crs:
        problems.append(f'CRS {a.crs} vs {b.crs}')
    if (a.gcps is None) != (b.gcps is None) or (
            a.gcps is not None and not _same_gcps(a.gcps, b.gcps)):
        problems.append('different ground control points')
    if problems:
        raise ValueError(
            f'Change pair {a.path} and {b.path} is not on one pixel grid ('
            + '; '.join(problems) + '). Nothing is resampled silently: '
            'co-register the pair first, e.g. `gdalwarp -te <A bounds> -tr '
            '<A resolution> -t_srs <A CRS> B.tif B_on_A.tif`.')


def _same_gcps(a: Sequence, b: Sequence) -> bool:
    if len(a) != len(b):
        return False
    key = np.array([[g.row, g.col, g.x, g.y] for g in a], np.float64)
    return np.allclose(key, [[g.row, g.col, g.x, g.y] for g in b],
                       rtol=0, atol=1e-9)


def _palette_colormap(palette: Sequence[Sequence[int]]) -> Dict[int, tuple]:
    return {i: (int(c[0]), int(c[1]), int(c[2]), 255)
            for i, c in enumerate(palette)}


def overview_factors(width: int, height: int, block: int = 256) -> List[int]:
    """Overview factors 2, 4, ... while the level's longer side is at
    least ``block`` px (none for a raster of one block or less)."""
    out, f = [], 2
    while max(width, height) / f >= block:
        out.append(f)
        f *= 2
    return out


class RowStripWriter:
    """Single-band GeoTIFF written top to bottom in row strips.

    Tiled (``block`` px), DEFLATE-compressed, with the scene's transform and
    CRS and (for uint8 / uint16) a colour table. Rows are buffered until a
    whole block row is ready, so every block is written once. The file is
    written under :func:`temp_path` and renamed by :meth:`close`.

    Args:
        path: Final file name.
        width: Scene width.
        height: Scene height.
        dtype: Pixel type. Defaults to ``'uint8'``.
        transform: Affine of the scene (None: no georeference).
        crs: CRS of the scene (None: none).
        palette: RGB colour per value (the colour table). Defaults to None.
        block: Tile side. Defaults to 256.
        tags: Metadata tags. Defaults to None.
        nodata: The nodata value of the file (pixels without a result).
            Defaults to None (none).
        gcps: Ground control points (in ``crs``) instead of ``transform``,
            for a scene georeferenced by GCPs. Defaults to None.
        overviews: Build internal overviews (factors 2, 4, ... down to
            about one block; ``mode`` resampling, the right one for class
            indices) when the file is complete, so GIS viewers and the
            overview PNG read a 20k² result quickly. Defaults to True.
    """

    def __init__(self, path: PathT, width: int, height: int,
                 dtype: str = 'uint8', transform=None, crs=None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 block: int = 256, tags: Optional[Dict] = None,
                 nodata: Optional[float] = None,
                 gcps: Optional[Sequence] = None,
                 overviews: bool = True) -> None:
        import rasterio
        self.path = str(path)
        self.overviews = overviews
        self.width, self.height = int(width), int(height)
        self.block = block
        profile = dict(driver='GTiff', width=self.width, height=self.height,
                       count=1, dtype=dtype, compress='deflate',
                       tiled=True, blockxsize=block, blockysize=block,
                       # GDAL's default (IF_NEEDED) never picks BigTIFF for
                       # a compressed file, which then fails past 4 GB
                       BIGTIFF='IF_SAFER')
        if gcps:
            profile.update(gcps=list(gcps), crs=crs)
        else:
            if transform is not None:
                profile['transform'] = transform
            if crs is not None:
                profile['crs'] = crs
        if nodata is not None:
            profile['nodata'] = nodata
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # NotGeoreferencedWarning
            self._dst = rasterio.open(temp_path(self.path), 'w', **profile)
        if palette is not None and np.dtype(dtype) in (np.uint8, np.uint16):
            self._dst.write_colormap(1, _palette_colormap(palette))
        if tags:
            self._dst.update_tags(**{k: str(v) for k, v in tags.items()})
        self._buf: List[np.ndarray] = []
        self._buf_rows = 0
        self._row = 0  # next row to write to the file

    def write_rows(self, rows: np.ndarray) -> None:
        """Append ``rows`` ([n, width]) below the rows written so far."""
        if rows.shape[1] != self.width:
            raise ValueError(f'rows of width {rows.shape[1]} for a '
                             f'{self.width} px wide raster')
        self._buf.append(rows)
        self._buf_rows += rows.shape[0]
        end = self._row + self._buf_rows
        aligned = end if end >= self.height else end - end % self.block
        if aligned > self._row:
            self._flush(aligned)

    def _flush(self, until: int) -> None:
        from rasterio.windows import Window
        data = np.concatenate(self._buf, 0)
        n = until - self._row
        self._dst.write(data[:n], 1, window=Window(0, self._row, self.width,
                                                   n))
        self._row = until
        rest = data[n:].copy()  # a view would keep all of ``data``
        self._buf = [rest] if len(rest) else []
        self._buf_rows = len(rest)

    def close(self) -> str:
        """Finish the file (all rows must be written) and rename it."""
        if self._row + self._buf_rows != self.height:
            self.abort()
            raise RuntimeError(f'{self.path}: {self._row + self._buf_rows} '
                               f'of {self.height} rows written')
        if self._buf_rows:
            self._flush(self.height)
        factors = overview_factors(self.width, self.height, self.block)
        if self.overviews and factors:
            from rasterio.enums import Resampling
            self._dst.build_overviews(factors, Resampling.mode)
            self._dst.update_tags(ns='rio_overview', resampling='mode')
        self._dst.close()
        return commit_temp(self.path)

    def abort(self) -> None:
        """Close and delete the temporary file."""
        try:
            self._dst.close()
        finally:
            if osp.exists(temp_path(self.path)):
                os.remove(temp_path(self.path))


def pixel_polygon_to_crs(poly: np.ndarray, transform) -> np.ndarray:
    """Pixel ``[K, 2]`` (x = column, y = row, pixel corners) to CRS
    coordinates with the scene's affine; identity when ``transform`` is
    None."""
    poly = np.asarray(poly, np.float64).reshape(-1, 2)
    if transform is None:
        return poly
    a, b, c, d, e, f = tuple(transform)[:6]
    x = a * poly[:, 0] + b * poly[:, 1] + c
    y = d * poly[:, 0] + e * poly[:, 1] + f
    return np.stack([x, y], 1)


def _crs_member(crs) -> Optional[dict]:
    """The (pre-RFC 7946) GeoJSON ``crs`` member GDAL / QGIS read."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    name = f'urn:ogc:def:crs:EPSG::{epsg}' if epsg else crs.to_wkt()
    return dict(type='name', properties=dict(name=name))


def write_geojson(path: PathT, features: Iterable[dict], crs=None,
                  extra: Optional[dict] = None) -> str:
    """Write a FeatureCollection (temp name + rename).

    Args:
        path: Output ``.geojson``.
        features: GeoJSON features.
        crs: The scene's CRS (named in the ``crs`` member; coordinates are
            in its units). None: pixel coordinates. Defaults to None.
        extra: More top-level members. Defaults to None.
    """
    coll = dict(type='FeatureCollection')
    member = _crs_member(crs)
    if member is not None:
        coll['crs'] = member
    coll.update(extra or {})
    coll['features'] = list(features)
    with open(temp_path(path), 'w') as f:
        json.dump(coll, f)
    return commit_temp(path)


def display_rgb(arr: np.ndarray, stretch_uint8: bool = True) -> np.ndarray:
    """An 8-bit RGB picture of ``[h, w, C]`` of any dtype: the first 3 bands
    (or the first band as grey), each stretched from its 2nd to its 98th
    percentile of the finite pixels. With ``stretch_uint8=False`` a uint8
    image is kept as it is. Defaults to stretching every dtype."""
    arr = arr if arr.ndim == 3 else arr[..., None]
    arr = arr[..., :3] if arr.shape[-1] >= 3 else arr[..., :1]
    if arr.dtype == np.uint8 and not stretch_uint8:
        img = arr
    else:
        arr = arr.astype(np.float32)
        flat = arr.reshape(-1, arr.shape[-1])
        ok = np.isfinite(flat).all(1)
        if ok.any():
            lo = np.percentile(flat[ok], 2, 0)
            hi = np.percentile(flat[ok], 98, 0)
        else:
            lo, hi = np.zeros(arr.shape[-1]), np.ones(arr.shape[-1])
        img = stretch_to_uint8(np.nan_to_num(arr), lo, hi)
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, -1)
    return np.ascontiguousarray(img)


def overview_image(src: RasterSource, max_side: int = 1024) -> np.ndarray:
    """An 8-bit BGR view of a scene (first 3 bands, or 1 band as grey),
    percentile-stretched, at most ``max_side`` px."""
    ov = src.read_overview(max_side, raw=True)
    return np.ascontiguousarray(display_rgb(ov)[..., ::-1])  # BGR for cv2
