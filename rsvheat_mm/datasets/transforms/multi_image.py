"""Pipelines for samples made of several co-registered images.

Used by change detection (LEVIR-CD: the before and the after image) and by
multimodal segmentation (WHU-OPT-SAR: optical and SAR; AIR-PolSAR-Seg: four
polarisations stacked into one image). During the pipeline ``results['img']``
is a **list** of ``[H, W, C_i]`` arrays that may differ in dtype (``uint8``
optical next to ``uint16`` / ``float32`` SAR) and band count.

* Every random **geometric** transform draws its parameters once per sample
  and applies them to every image and every map in ``seg_fields``, so the
  images and the label stay pixel-aligned.
* **Photometric** jitter (:class:`MultiImgPhotoMetricDistortion`) draws its
  parameters independently per image: two dates have different illumination.
* :class:`PackMultiImgSegInputs` concatenates the list along channels in
  order (``[A, B]`` -> 6 channels, ``[opt, sar]`` -> 4 channels) and records
  ``img_channels`` in the metainfo, which the models use to split it again.

Loading needs no GDAL (see :mod:`.image_io`).
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs, PhotoMetricDistortion

from ...registry import TRANSFORMS, register
from .image_io import read_label, read_raster

__all__ = [
    'LoadMultiImageFromFiles', 'LoadMappedAnnotations',
    'MultiImgRandomResize', 'MultiImgRandomCrop', 'MultiImgRandomFlip',
    'MultiImgRandomRotate90', 'MultiImgExchangeTime',
    'MultiImgPhotoMetricDistortion', 'SARLogScale', 'PackMultiImgSegInputs'
]

SizeT = Tuple[int, int]


def _per_image(value, n: int, name: str) -> list:
    """Broadcast a scalar / None option to one value per image."""
    if isinstance(value, (list, tuple)) and len(value) == n and \
            not (name == 'bands' and all(isinstance(v, int) for v in value)):
        return list(value)
    return [value] * n


def _images(results: dict) -> List[np.ndarray]:
    imgs = results.get('img')
    if not isinstance(imgs, list) or not imgs:
        raise TypeError(
            'Multi-image transforms expect results["img"] to be a non-empty '
            'list of arrays; put LoadMultiImageFromFiles first in the '
            'pipeline (mmseg\'s LoadImageFromFile gives a single array).')
    return imgs


def _apply(results: dict, img_fn, seg_fn) -> None:
    """Apply the same geometry to every image and every seg field."""
    results['img'] = [np.ascontiguousarray(img_fn(im))
                      for im in _images(results)]
    for key in results.get('seg_fields', []):
        results[key] = np.ascontiguousarray(seg_fn(results[key]))
    results['img_shape'] = results['img'][0].shape[:2]


def _resize(arr: np.ndarray, size_hw: SizeT, interp: int) -> np.ndarray:
    out = cv2.resize(arr, (size_hw[1], size_hw[0]), interpolation=interp)
    if arr.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


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

    def _load(self, paths, color_type, bands) -> np.ndarray:
        if isinstance(paths, (list, tuple)):
            parts = [read_raster(p, color_type, None) for p in paths]
            shapes = {p.shape[:2] for p in parts}
            if len(shapes) > 1:
                raise ValueError(
                    'Band files of one image differ in size: ' + ', '.join(
                        f'{p} {a.shape[:2]}' for p, a in zip(paths, parts)))
            img = np.concatenate(parts, axis=-1)
            if bands is not None:
                img = img[..., list(bands)]
            return img
        return read_raster(paths, color_type, bands)

    def transform(self, results: dict) -> dict:
        imgs, paths = [], []
        for key, ct, bd in zip(self.path_keys, self.color_types, self.bands):
            if key not in results:
                raise KeyError(
                    f'LoadMultiImageFromFiles: results has no {key!r} (keys: '
                    f'{sorted(results)}). Use a dataset that sets it or fix '
                    f'path_keys.')
            img = self._load(results[key], ct, bd)
            if self.to_float32:
                img = img.astype(np.float32)
            imgs.append(img)
            paths.append(results[key])
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

    Required keys: ``seg_map_path``; optional ``label_value_map`` (set by
    the rsvheat_mm datasets), ``reduce_zero_label``, ``label_map``.
    Added keys: ``gt_seg_map`` (uint8), ``seg_fields``.

    Args:
        value_map: ``{raw value: class index}`` (or a list of pairs), e.g.
            ``{0: 0, 255: 1}`` for LEVIR-CD. Raw values mapped to
            ``ignore_index`` are ignored in loss and metrics. Defaults to None:
            the dataset's ``label_value_map``, else the raw values are kept.
        strict: Raise when a raw value is not in ``value_map``; False maps
            it to ``ignore_index``. Defaults to True.
        ignore_index: Index of ignored pixels. Defaults to 255.
    """

    def __init__(self, value_map: Optional[Union[Mapping, Sequence]] = None,
                 strict: bool = True, ignore_index: int = 255) -> None:
        self.value_map = self._parse(value_map)
        self.strict = strict
        self.ignore_index = ignore_index

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
        path = results['seg_map_path']
        arr = read_label(path)
        vmap = self.value_map
        if vmap is None and results.get('label_value_map') is not None:
            vmap = self._parse(results['label_value_map'])
        if vmap is not None:
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
                f'strict={self.strict}, ignore_index={self.ignore_index})')


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgRandomResize(BaseTransform):
    """Resize all images and maps by one random factor.

    Images use bilinear interpolation (dtype kept), maps nearest.

    Args:
        ratio_range: The factor is drawn uniformly from this range.
            Defaults to (0.5, 2.0).
        scale: Optional base size ``(w, h)`` (mmcv convention): the image is
            first rescaled, keeping its ratio, to fit ``scale * factor``.
            Defaults to None (the factor applies to the current size).
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.5, 2.0),
                 scale: Optional[Tuple[int, int]] = None) -> None:
        assert ratio_range[0] <= ratio_range[1], \
            f'ratio_range must be (low, high), got {ratio_range}'
        self.ratio_range = tuple(ratio_range)
        self.scale = scale

    def transform(self, results: dict) -> dict:
        h, w = _images(results)[0].shape[:2]
        factor = float(np.random.uniform(*self.ratio_range))
        if self.scale is not None:
            long_s, short_s = max(self.scale), min(self.scale)
            base = min(long_s / max(h, w), short_s / min(h, w))
            factor *= base
        size = (max(1, int(h * factor + 0.5)), max(1, int(w * factor + 0.5)))
        _apply(results, lambda im: _resize(im, size, cv2.INTER_LINEAR),
               lambda m: _resize(m, size, cv2.INTER_NEAREST))
        results['scale_factor'] = (size[1] / w, size[0] / h)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ratio_range={self.ratio_range}, '
                f'scale={self.scale})')


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgRandomCrop(BaseTransform):
    """Crop the same random window from every image and map.

    A side shorter than the crop is kept whole (the data preprocessor pads
    it), as in mmseg's ``RandomCrop``.

    Args:
        crop_size: ``(h, w)`` of the window (an int means square).
        cat_max_ratio: Redraw (up to 10 times) while one class covers more
            than this fraction of the labelled pixels. Defaults to 1.0 (off).
        ignore_index: Label ignored by ``cat_max_ratio``. Defaults to 255.
    """

    def __init__(self, crop_size: Union[int, SizeT],
                 cat_max_ratio: float = 1., ignore_index: int = 255) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        assert crop_size[0] > 0 and crop_size[1] > 0, crop_size
        self.crop_size = tuple(crop_size)
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    def _bbox(self, h: int, w: int) -> Tuple[int, int, int, int]:
        y = np.random.randint(0, max(h - self.crop_size[0], 0) + 1)
        x = np.random.randint(0, max(w - self.crop_size[1], 0) + 1)
        return y, min(y + self.crop_size[0], h), x, \
            min(x + self.crop_size[1], w)

    def transform(self, results: dict) -> dict:
        h, w = _images(results)[0].shape[:2]
        box = self._bbox(h, w)
        gt = results.get('gt_seg_map')
        if self.cat_max_ratio < 1. and gt is not None:
            for _ in range(10):
                seg = gt[box[0]:box[1], box[2]:box[3]]
                labels, cnt = np.unique(seg, return_counts=True)
                cnt = cnt[labels != self.ignore_index]
                if len(cnt) > 1 and cnt.max() / cnt.sum() < \
                        self.cat_max_ratio:
                    break
                box = self._bbox(h, w)
        y0, y1, x0, x1 = box
        _apply(results, lambda im: im[y0:y1, x0:x1],
               lambda m: m[y0:y1, x0:x1])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'cat_max_ratio={self.cat_max_ratio})')


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgRandomFlip(BaseTransform):
    """Flip every image and map the same way.

    Args:
        prob: Probability of flipping. Defaults to 0.5.
        direction: ``'horizontal'``, ``'vertical'``, ``'diagonal'`` (both) or
            a list of them, one picked uniformly when flipping.
            Defaults to ``'horizontal'``.
    """
    _dirs = ('horizontal', 'vertical', 'diagonal')

    def __init__(self, prob: float = 0.5,
                 direction: Union[str, Sequence[str]] = 'horizontal') -> None:
        assert 0. <= prob <= 1., f'prob must be in [0, 1], got {prob}'
        self.prob = prob
        self.direction = [direction] if isinstance(direction, str) \
            else list(direction)
        for d in self.direction:
            if d not in self._dirs:
                raise ValueError(f'direction {d!r}: choose from {self._dirs}')

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = None
        if not flip:
            return results
        d = self.direction[np.random.randint(len(self.direction))]
        axes = {'horizontal': (1, ), 'vertical': (0, ),
                'diagonal': (0, 1)}[d]
        _apply(results, lambda a: np.flip(a, axes), lambda a: np.flip(a, axes))
        results['flip_direction'] = d
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'direction={self.direction})')


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgRandomRotate90(BaseTransform):
    """Rotate every image and map by the same random multiple of 90 deg.

    Args:
        prob: Probability of rotating (by 90, 180 or 270 deg, uniformly).
            Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        assert 0. <= prob <= 1., f'prob must be in [0, 1], got {prob}'
        self.prob = prob

    def transform(self, results: dict) -> dict:
        k = 0
        if np.random.rand() < self.prob:
            k = int(np.random.randint(1, 4))
            _apply(results, lambda a: np.rot90(a, k, (0, 1)),
                   lambda a: np.rot90(a, k, (0, 1)))
        results['rotate90_k'] = k
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgExchangeTime(BaseTransform):
    """Swap the two dates of a change-detection pair (label unchanged).

    Binary change is symmetric in time, so this doubles the pairs seen.

    Args:
        prob: Probability of swapping. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        assert 0. <= prob <= 1., f'prob must be in [0, 1], got {prob}'
        self.prob = prob

    def transform(self, results: dict) -> dict:
        imgs = _images(results)
        if len(imgs) != 2:
            raise ValueError(f'MultiImgExchangeTime needs 2 images, got '
                             f'{len(imgs)}')
        swap = bool(np.random.rand() < self.prob)
        if swap:
            results['img'] = imgs[::-1]
            if 'img_channels' in results:
                results['img_channels'] = list(results['img_channels'])[::-1]
        results['exchange_time'] = swap
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'


@register(TRANSFORMS, hosts=('mmseg', ))
class MultiImgPhotoMetricDistortion(BaseTransform):
    """mmseg's photometric distortion, drawn independently per image.

    Brightness, contrast, saturation and hue change with new random values
    for each selected image (two dates differ in illumination); geometry is
    untouched. Selected images must be 3-channel; they leave as uint8.
    (Hue is computed on RGB data with a BGR formula: the jitter is still a
    hue rotation, of opposite sign.)

    Args:
        img_indices: Images to jitter, e.g. ``(0, )`` for the optical image
            of an optical+SAR pair. Defaults to None (all images).
        brightness_delta: Defaults to 32.
        contrast_range: Defaults to (0.5, 1.5).
        saturation_range: Defaults to (0.5, 1.5).
        hue_delta: Defaults to 18.
    """

    def __init__(self, img_indices: Optional[Sequence[int]] = None,
                 brightness_delta: int = 32,
                 contrast_range: Sequence[float] = (0.5, 1.5),
                 saturation_range: Sequence[float] = (0.5, 1.5),
                 hue_delta: int = 18) -> None:
        self.img_indices = None if img_indices is None else list(img_indices)
        self._pmd = PhotoMetricDistortion(
            brightness_delta=brightness_delta,
            contrast_range=tuple(contrast_range),
            saturation_range=tuple(saturation_range), hue_delta=hue_delta)

    def transform(self, results: dict) -> dict:
        imgs = list(_images(results))
        idx = range(len(imgs)) if self.img_indices is None \
            else self.img_indices
        for i in idx:
            if imgs[i].ndim != 3 or imgs[i].shape[-1] != 3:
                raise ValueError(
                    f'MultiImgPhotoMetricDistortion: image {i} has shape '
                    f'{imgs[i].shape}; photometric jitter needs 3-channel '
                    f'optical images. Set img_indices to the optical ones.')
            imgs[i] = self._pmd.transform({'img': imgs[i]})['img']
        results['img'] = imgs
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(img_indices={self.img_indices}, '
                f'{self._pmd!r})')


@register(TRANSFORMS, hosts=('mmseg', ))
class SARLogScale(BaseTransform):
    """Compress SAR intensity: ``scale * log1p(max(x, 0))`` as float32.

    SAR amplitudes span orders of magnitude (uint16 or float); the log keeps
    the whole range while making it learnable.

    Args:
        img_indices: Images to transform. Defaults to (1, ) (the SAR image of
            an ``[opt, sar]`` pair).
        scale: Multiplier after the log. Defaults to 1.0.
    """

    def __init__(self, img_indices: Sequence[int] = (1, ),
                 scale: float = 1.) -> None:
        self.img_indices = list(img_indices)
        self.scale = scale

    def transform(self, results: dict) -> dict:
        imgs = list(_images(results))
        for i in self.img_indices:
            x = np.maximum(imgs[i].astype(np.float32), 0)
            imgs[i] = (np.log1p(x) * self.scale).astype(np.float32)
        results['img'] = imgs
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(img_indices={self.img_indices}, '
                f'scale={self.scale})')


@register(TRANSFORMS, hosts=('mmseg', ))
class PackMultiImgSegInputs(PackSegInputs):
    """Concatenate the image list along channels and pack like mmseg.

    ``inputs`` becomes one ``[sum(C_i), H, W]`` tensor (float32 when the
    images' dtypes differ); ``img_channels`` (the ``C_i``) is added to the
    metainfo. Labels are packed by mmseg's ``PackSegInputs``.

    Args:
        meta_keys: Metainfo keys. Defaults to mmseg's plus ``img_path2``,
            ``sar_path``, ``img_channels``.
    """

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'img_path2', 'sar_path', 'seg_map_path', 'ori_shape',
            'img_shape', 'pad_shape', 'scale_factor', 'flip',
            'flip_direction', 'reduce_zero_label', 'img_channels')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        imgs = _images(results)
        if len({im.dtype for im in imgs}) > 1:
            imgs = [im.astype(np.float32) for im in imgs]
        results['img'] = np.concatenate(
            [im if im.ndim == 3 else im[..., None] for im in imgs], axis=-1)
        results['img_channels'] = [im.shape[-1] if im.ndim == 3 else 1
                                   for im in imgs]
        return super().transform(results)
