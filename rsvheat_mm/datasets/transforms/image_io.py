"""Reading remote-sensing rasters without GDAL and without losing range.

mmseg's ``LoadMultipleRSImageFromFile`` needs GDAL. These helpers read PNG,
JPEG and TIFF with OpenCV (TIFF with ``tifffile`` when it is installed, else
with ``rasterio``, whose wheel bundles GDAL) and keep the
file's dtype: 8-bit optical stays ``uint8``, 16-bit or float SAR stays
``uint16`` / ``float32``. Every failure names the file and the fix.
"""
from pathlib import Path
from typing import Optional, Sequence, Union

import cv2
import numpy as np

__all__ = ['read_raster', 'read_label']

PathT = Union[str, Path]
COLOR_TYPES = ('color', 'grayscale', 'unchanged')
_TIFF = ('.tif', '.tiff')


def _read_tiff(path: str) -> Optional[np.ndarray]:
    """Raw band order with tifffile, else rasterio (any band count), else
    OpenCV (BGR swap undone)."""
    try:
        import tifffile  # optional
    except ImportError:
        tifffile = None
    if tifffile is None:
        try:
            import rasterio
        except ImportError:
            rasterio = None
        if rasterio is not None:
            import warnings
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')  # not georeferenced
                    with rasterio.open(path) as ds:
                        return np.moveaxis(ds.read(), 0, -1)
            except rasterio.errors.RasterioIOError:
                return None
    if tifffile is not None:
        arr = tifffile.imread(path)
        if arr.ndim == 3 and arr.shape[0] < arr.shape[-1] and \
                arr.shape[0] <= 16 and arr.shape[-1] > 16:
            arr = np.moveaxis(arr, 0, -1)  # planar (bands, H, W) -> H, W, B
        return arr
    arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return _undo_bgr(arr)


def _undo_bgr(arr: Optional[np.ndarray]) -> Optional[np.ndarray]:
    if arr is not None and arr.ndim == 3 and arr.shape[-1] in (3, 4):
        arr = arr[..., [2, 1, 0] + ([3] if arr.shape[-1] == 4 else [])]
    return arr


def read_raster(path: PathT, color_type: str = 'color',
                bands: Optional[Sequence[int]] = None) -> np.ndarray:
    """Read an image as ``[H, W, C]`` in the file's band order.

    Args:
        path: Image file (PNG, JPEG, TIFF, anything OpenCV reads).
        color_type: ``'color'`` gives 3-channel ``uint8`` RGB (8-bit
            optical); ``'grayscale'`` one ``uint8`` channel; ``'unchanged'``
            keeps dtype and bands (16-bit / float SAR, multi-band TIFF).
            Defaults to ``'color'``.
        bands: Band indices to keep, in that order, e.g. ``(0, 1, 2)`` for
            the RGB of an RGB+NIR TIFF. Defaults to None (all bands).

    Returns:
        ``np.ndarray`` of shape ``[H, W, C]`` (a single band gets ``C=1``),
        RGB order for colour images.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It cannot be decoded, or ``bands`` is out of range.
    """
    path = str(path)
    if color_type not in COLOR_TYPES:
        raise ValueError(f'color_type={color_type!r}: choose one of '
                         f'{COLOR_TYPES}')
    if not Path(path).is_file():
        raise FileNotFoundError(f'Image file not found: {path}. Check '
                                f'data_root / data_prefix and the suffixes.')
    if color_type == 'color':
        arr = _undo_bgr(cv2.imread(path, cv2.IMREAD_COLOR))
    elif color_type == 'grayscale':
        arr = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    elif path.lower().endswith(_TIFF):
        arr = _read_tiff(path)
    else:
        arr = _undo_bgr(cv2.imread(path, cv2.IMREAD_UNCHANGED))
    if arr is None or arr.size == 0:
        raise ValueError(f'Could not decode image {path} (corrupt file or an '
                         f'unsupported format; multi-band TIFFs beyond 4 '
                         f'bands need rasterio or tifffile).')
    if arr.ndim == 2:
        arr = arr[..., None]
    if bands is not None:
        bands = list(bands)
        if not bands or max(bands) >= arr.shape[-1] or min(bands) < 0:
            raise ValueError(f'bands={bands} but {path} has {arr.shape[-1]} '
                             f'band(s). Fix `bands` in the pipeline.')
        arr = arr[..., bands]
    return np.ascontiguousarray(arr)


def read_label(path: PathT) -> np.ndarray:
    """Read a single-channel label map ``[H, W]`` keeping its values.

    A palette PNG gives its indices; a 3-channel label is refused, since
    its colours would need a colour table.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It cannot be decoded or is not single-channel.
    """
    path = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f'Label file not found: {path}. Check '
                                f'data_prefix seg_map_path and '
                                f'seg_map_suffix.')
    if path.lower().endswith(_TIFF):
        arr = _read_tiff(path)
    else:
        from PIL import Image  # palette PNGs: keep indices, not colours
        try:
            with Image.open(path) as im:
                arr = np.array(im)
        except Exception as e:  # noqa: BLE001 - re-raised with the path
            raise ValueError(f'Could not decode label {path}: {e}') from e
    if arr is None:
        raise ValueError(f'Could not decode label {path}.')
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[-1] >= 3 and \
            (arr[..., :3] == arr[..., :1]).all():
        arr = arr[..., 0]  # grey stored as RGB
    if arr.ndim != 2:
        raise ValueError(
            f'Label {path} has shape {arr.shape}; expected one channel of '
            f'class values. Convert colour labels to index maps first.')
    return arr
