"""Loading of multi-image samples (list and dict layouts; see the package doc).

Reading needs no GDAL (see :mod:`.image_io`).
"""
from typing import Dict, Mapping, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile

from ...registry import TRANSFORMS, register
from .image_io import read_label, read_raster

__all__ = ['LoadMultiImageFromFiles', 'LoadMappedAnnotations',
           'LoadMultiModalImages', 'load_image']

#: bands expected per modality by :class:`LoadMultiModalImages`
DEFAULT_CHANNELS = dict(opt=3, sar=1)


def _per_image(value, n: int, name: str) -> list:
    """Broadcast a scalar / None option to one value per image."""
    if isinstance(value, (list, tuple)) and len(value) == n and \
            not (name == 'bands' and all(isinstance(v, int) for v in value)):
        return list(value)
    return [value] * n


def _in_memory(src) -> bool:
    return isinstance(src, np.ndarray) or (
        isinstance(src, (list, tuple)) and
        any(isinstance(s, np.ndarray) for s in src))


def _describe(src, key: str) -> str:
    """A path as it is; an array as ``key (array HxWxC)``."""
    if isinstance(src, np.ndarray):
        return f'{key} (array {"x".join(map(str, src.shape))})'
    if isinstance(src, (list, tuple)):
        return '[' + ', '.join(_describe(s, key) for s in src) + ']'
    return str(src)


def _read_image(src, color_type: str, bands) -> np.ndarray:
    """One file, or an array already in memory (taken as it is: the band
    order and dtype the file would give, ``[H, W]`` or ``[H, W, C]``)."""
    if isinstance(src, np.ndarray):
        img = src if src.ndim == 3 else src[..., None]
        if bands is not None:
            if max(bands) >= img.shape[-1]:
                raise ValueError(
                    f'bands={tuple(bands)} but the array has '
                    f'{img.shape[-1]} band(s); give the bands the config '
                    f'expects or fix bands=')
            img = img[..., list(bands)]
        return img
    return read_raster(src, color_type, bands)


def load_image(src, color_type: str = 'color', bands=None) -> np.ndarray:
    """One image of a sample as :class:`LoadMultiImageFromFiles` reads it:
    a path or an array, or a list of them stacked along channels (the band
    files of one image, e.g. HH/HV/VH/VV), then ``bands`` kept.

    Raises:
        ValueError: The band files differ in size, or ``bands`` is out of
            range; the message names the files.
    """
    if isinstance(src, (list, tuple)):
        parts = [_read_image(p, color_type, None) for p in src]
        shapes = {p.shape[:2] for p in parts}
        if len(shapes) > 1:
            raise ValueError(
                'Band files of one image differ in size: ' + ', '.join(
                    f'{_describe(p, "band")} {a.shape[:2]}'
                    for p, a in zip(src, parts)))
        img = np.concatenate(parts, axis=-1)
        if bands is not None:
            img = img[..., list(bands)]
        return img
    return _read_image(src, color_type, bands)


@register(TRANSFORMS, hosts=('mmseg', ))
class LoadMultiImageFromFiles(BaseTransform):
    """Load several co-registered images of one sample as a list.

    Required keys: the ``path_keys``. Added keys: ``img`` (list),
    ``img_shape``, ``ori_shape``, ``img_channels``.

    Args:
        path_keys: Keys of ``results`` holding a path each; a key whose value
            is a list of paths loads each file and stacks them along
            channels into one image (e.g. the HH/HV/VH/VV files of one
            PolSAR patch). Defaults to ``('img_path', 'img_path2')`` (the
            two dates of change detection).
        color_types: One of ``'color'`` (uint8 RGB), ``'grayscale'`` or
            ``'unchanged'`` (keeps uint16 / float SAR and extra bands), or
            one per key. Defaults to ``'color'``.
        bands: Band indices kept from each image (e.g. ``(0, 1, 2)``), or one
            such tuple per key, or None for all bands. Defaults to None.
        to_float32: Cast every image to float32. Defaults to False.
    """

    def __init__(self,
                 path_keys: Sequence[str] = ('img_path', 'img_path2'),
                 color_types: Union[str, Sequence[str]] = 'color',
                 bands: Optional[Sequence] = None,
                 to_float32: bool = False) -> None:
        self.path_keys = list(path_keys)
        n = len(self.path_keys)
        self.color_types = _per_image(color_types, n, 'color_types')
        self.bands = _per_image(bands, n, 'bands')
        self.to_float32 = to_float32

    def _split_sample(self, results: dict) -> dict:
        """One sample handed over the way mmseg's ``inference_model`` and
        inferencers do: ``img_path=(first, second, ...)``, one entry per
        path key (paths or arrays), the other keys absent."""
        first, rest = self.path_keys[0], self.path_keys[1:]
        value = results.get(first)
        if rest and isinstance(value, (list, tuple)) and \
                len(value) == len(self.path_keys) and \
                not any(k in results for k in rest):
            results = dict(results)
            results.update(zip(self.path_keys, value))
        return results

    def transform(self, results: dict) -> dict:
        results = self._split_sample(results)
        imgs, paths = [], []
        for key, ct, bd in zip(self.path_keys, self.color_types, self.bands):
            if key not in results:
                raise KeyError(
                    f'LoadMultiImageFromFiles: results has no {key!r} (keys: '
                    f'{sorted(results)}). Use a dataset that sets it or fix '
                    f'path_keys; for inference give one sample as a tuple '
                    f'of {len(self.path_keys)} ({", ".join(self.path_keys)})'
                    f', e.g. inference_model(model, [(first, second)]).')
            img = load_image(results[key], ct, bd)
            if self.to_float32:
                img = img.astype(np.float32)
            imgs.append(img)
            paths.append(_describe(results[key], key))
            if _in_memory(results[key]):  # no path to keep as metainfo
                results[key] = None
        sizes = [im.shape[:2] for im in imgs]
        if len(set(sizes)) > 1:
            desc = '; '.join(f'{p} is {s[0]}x{s[1]}'
                             for p, s in zip(paths, sizes))
            raise ValueError(
                f'Co-registered images of one sample differ in size: {desc}. '
                f'Each pair must cover the same pixels; re-export or crop '
                f'the files to the same size.')
        results['img'] = imgs
        results['img_shape'] = sizes[0]
        results['ori_shape'] = sizes[0]
        results['img_channels'] = [im.shape[-1] for im in imgs]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(path_keys={self.path_keys}, '
                f'color_types={self.color_types}, bands={self.bands}, '
                f'to_float32={self.to_float32})')


@register(TRANSFORMS, hosts=('mmseg', ))
class LoadMappedAnnotations(BaseTransform):
    """Load a label map and translate raw values to class indices.

    Required keys: ``seg_map_path`` (a sample without the key, as given to
    an inferencer, passes through unchanged); optional ``label_value_map`` and
    ``label_color_map`` (set by the rsvheat_mm datasets),
    ``reduce_zero_label``, ``label_map``.
    Added keys: ``gt_seg_map`` (uint8), ``seg_fields``.

    Colour-coded labels: with a colour map (``color_map`` or the sample's
    ``label_color_map``), an RGB (or palette) label has its colours turned
    into class indices; a colour outside the table is an error naming the
    file and the colour. Single-channel labels still go through the value
    map.

    Args:
        value_map: ``{raw value: class index}`` (or a list of pairs), e.g.
            ``{0: 0, 255: 1}`` for LEVIR-CD. Raw values mapped to
            ``ignore_index`` are ignored in loss and metrics. Defaults to None:
            the dataset's ``label_value_map``, else the raw values are kept.
        strict: Raise when a raw value is not in ``value_map``; False maps
            it to ``ignore_index``. Defaults to True.
        ignore_index: Index of ignored pixels. Defaults to 255.
        color_map: ``{(r, g, b): class index}`` (or a list of
            ``[r, g, b, index]``). Defaults to None: the dataset's
            ``label_color_map``, if any.
    """

    def __init__(self, value_map: Optional[Union[Mapping, Sequence]] = None,
                 strict: bool = True, ignore_index: int = 255,
                 color_map: Optional[Union[Mapping, Sequence]] = None) -> None:
        self.value_map = self._parse(value_map)
        self.strict = strict
        self.ignore_index = ignore_index
        self.color_map = self._parse_colors(color_map)

    @staticmethod
    def _parse_colors(color_map) -> Optional[Dict[int, int]]:
        """``{packed 0xRRGGBB: index}`` of a colour table."""
        if color_map is None:
            return None
        items = color_map.items() if isinstance(color_map, Mapping) else \
            ((tuple(c[:3]), c[3]) for c in color_map)
        return {(int(r) << 16) | (int(g) << 8) | int(b): int(i)
                for (r, g, b), i in items}

    def _map_colors(self, rgb: np.ndarray, cmap: Dict[int, int],
                    path: str) -> np.ndarray:
        rgb = rgb.astype(np.uint32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        codes, inverse = np.unique(packed, return_inverse=True)
        unknown = [int(c) for c in codes if int(c) not in cmap]
        if unknown and self.strict:
            cols = [((c >> 16) & 255, (c >> 8) & 255, c & 255)
                    for c in unknown[:5]]
            known = sorted(((c >> 16) & 255, (c >> 8) & 255, c & 255)
                           for c in cmap)
            raise ValueError(
                f'Label {path} has colour(s) {cols} (R, G, B) outside the '
                f'colour table {known}. Fix or re-export the label (a '
                f'resampled or JPEG-compressed mask blends colours), or set '
                f'strict=False to ignore such pixels.')
        lut = np.array([cmap.get(int(c), self.ignore_index) for c in codes],
                       dtype=np.uint8)
        return lut[inverse.reshape(-1)].reshape(packed.shape)

    @staticmethod
    def _parse(value_map) -> Optional[Dict[int, int]]:
        if value_map is None:
            return None
        items = value_map.items() if isinstance(value_map, Mapping) \
            else value_map
        return {int(k): int(v) for k, v in items}

    def _map(self, arr: np.ndarray, vmap: Dict[int, int],
             path: str) -> np.ndarray:
        values = np.unique(arr)
        unknown = [v for v in values.tolist() if v not in vmap]
        if unknown and self.strict:
            raise ValueError(
                f'Label {path} has value(s) {unknown[:10]} outside the '
                f'expected {sorted(vmap)}. Fix or re-export the label (e.g. '
                f'a resampled or JPEG-compressed mask), or set strict=False to '
                f'ignore such pixels.')
        out = np.full(arr.shape, self.ignore_index, dtype=np.uint8)
        for raw, cls in vmap.items():
            out[arr == raw] = cls
        return out

    def transform(self, results: dict) -> dict:
        if 'seg_map_path' not in results:
            # inference on images given by hand (the toolboxes' inferencers
            # drop only mmseg's own LoadAnnotations): nothing to load. The
            # datasets always set the key, so training still fails loudly.
            return results
        path = results['seg_map_path']
        if path is None:
            raise ValueError(
                'LoadMappedAnnotations: seg_map_path is None (no label file '
                'for this sample). Check the dataset\'s seg_map_path prefix '
                'and suffix, or drop this step from a label-free pipeline.')
        cmap = self.color_map
        if cmap is None and results.get('label_color_map') is not None:
            cmap = self._parse_colors(results['label_color_map'])
        rgb = _read_rgb_label(path) if cmap is not None else None
        arr = read_label(path) if rgb is None else None
        vmap = self.value_map
        if vmap is None and results.get('label_value_map') is not None:
            vmap = self._parse(results['label_value_map'])
        if rgb is not None:
            gt = self._map_colors(rgb, cmap, path)
        elif vmap is not None:
            gt = self._map(arr, vmap, path)
        else:
            if arr.min() < 0 or arr.max() > 255:
                raise ValueError(
                    f'Label {path} has values outside 0..255 '
                    f'({arr.min()}..{arr.max()}); give a value_map.')
            gt = arr.astype(np.uint8)
        if results.get('reduce_zero_label', False):
            gt = gt.astype(np.int16)
            gt[gt == 0] = 256
            gt = gt - 1
            gt[gt == 255] = self.ignore_index
            gt = gt.astype(np.uint8)
        if results.get('label_map'):
            src = gt.copy()
            for old, new in results['label_map'].items():
                gt[src == old] = new
        if 'img_shape' in results and \
                tuple(gt.shape) != tuple(results['img_shape'][:2]):
            raise ValueError(
                f'Label {path} is {gt.shape[0]}x{gt.shape[1]} but its image '
                f'is {results["img_shape"][0]}x{results["img_shape"][1]}. '
                f'Label and image must cover the same pixels.')
        results['gt_seg_map'] = gt
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(value_map={self.value_map}, '
                f'strict={self.strict}, ignore_index={self.ignore_index}, '
                f'color_map={self.color_map})')


def _read_rgb_label(path: str) -> Optional[np.ndarray]:
    """``[H, W, 3]`` uint8 of a colour (RGB, RGBA or palette) label, or None
    when the file is single-channel (index labels)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            if im.mode not in ('RGB', 'RGBA', 'P'):
                return None
            return np.asarray(im.convert('RGB'))
    except FileNotFoundError:
        raise FileNotFoundError(f'Label file not found: {path}. Check '
                                f'data_prefix seg_map_path and the label '
                                f'suffix.') from None
    except Exception as e:  # noqa: BLE001 - re-raised with the path
        if path.lower().endswith(('.tif', '.tiff')):
            return None  # multi-page / 16-bit TIFF: read_label handles it
        raise ValueError(f'Could not decode label {path}: {e}') from e


@register(TRANSFORMS, hosts=('mmpretrain', ))
class LoadMultiModalImages(BaseTransform):
    """Load the image of every modality of a sample.

    Reads ``results['img_path'][m]`` with mmcv's ``LoadImageFromFile``
    (``color_type='unchanged'``), makes it H x W x C, drops an alpha band of
    a 4-band file when 3 bands are expected, turns cv2's BGR into RGB for
    3-band images, and casts float64 to float32. uint16 (and float) values
    are kept: scaling (e.g. ``log1p`` for SAR) happens in the data
    preprocessor.

    Required keys: ``img_path`` (dict modality -> path).
    Added keys: ``imgs`` (dict modality -> ndarray H x W x C), ``img_shape``,
    ``ori_shape``, ``modalities``.

    Args:
        channels: Expected bands per modality; a file with another band count
            raises (this is how a SAR image in an optical folder is caught).
            Defaults to ``dict(opt=3, sar=1)``.
        imdecode_backend: mmcv decoding backend. Defaults to 'cv2'.
        backend_args: mmengine file backend arguments. Defaults to None.
    """

    def __init__(self, channels: Optional[Dict[str, int]] = None,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.channels = dict(DEFAULT_CHANNELS if channels is None
                             else channels)
        self.imdecode_backend = imdecode_backend
        self.loader = LoadImageFromFile(color_type='unchanged',
                                        imdecode_backend=imdecode_backend,
                                        backend_args=backend_args)

    def _load(self, path: str, modality: str) -> np.ndarray:
        out = self.loader.transform({'img_path': path})
        if out is None:  # ignore_empty is False, so this is unexpected
            raise FileNotFoundError(f'Could not read image {path}')
        img = out['img']
        if img.ndim == 2:
            img = img[..., None]
        want = self.channels.get(modality)
        if want is None:
            raise ValueError(
                f'{path}: modality {modality!r} is not configured; '
                f'LoadMultiModalImages knows {list(self.channels)}. Add it: '
                f'channels=dict(..., {modality}={img.shape[2]}).')
        if img.shape[2] == 4 and want == 3:
            img = img[..., :3]  # RGBA / BGRA png: drop alpha
        if img.shape[2] != want:
            hint = ('This looks like a single-band SAR image in place of an '
                    'optical one' if want == 3 and img.shape[2] == 1 else
                    'This looks like an optical image in place of a SAR one'
                    if want == 1 and img.shape[2] >= 3 else
                    'The band count does not match')
            raise ValueError(
                f'{path}: modality {modality!r} expects {want} band(s) but '
                f'the file has {img.shape[2]} ({img.dtype}). {hint}: move '
                f'the file to the right folder, fix the optical/SAR order in '
                f'the pair list, or set channels=dict({modality}='
                f'{img.shape[2]}) (and the backbone in_channels) if the data '
                f'really has {img.shape[2]} bands.')
        if want == 3 and self.imdecode_backend == 'cv2':
            img = img[..., ::-1]  # BGR -> RGB
        if img.dtype == np.float64:
            img = img.astype(np.float32)
        return np.ascontiguousarray(img)

    def transform(self, results: dict) -> dict:
        paths = results['img_path']
        if not isinstance(paths, dict) or not paths:
            raise ValueError('LoadMultiModalImages needs results["img_path"] '
                             'as a dict {modality: path}; use the datasets '
                             'UnlabelledImageFolder / OptSarPairDataset.')
        imgs = {m: self._load(p, m) for m, p in paths.items()}
        shapes = {m: img.shape[:2] for m, img in imgs.items()}
        if len(set(shapes.values())) > 1:
            detail = ', '.join(f'{m}: {paths[m]} is {s[0]}x{s[1]}'
                               for m, s in shapes.items())
            raise ValueError(
                f'Paired images must have the same size ({detail}). '
                f'Co-register / resample the pair to one grid before '
                f'pretraining, or fix the pair list.')
        h, w = next(iter(shapes.values()))
        results['imgs'] = imgs
        results['img_shape'] = (h, w)
        results['ori_shape'] = (h, w)
        results['modalities'] = tuple(imgs)
        return results
