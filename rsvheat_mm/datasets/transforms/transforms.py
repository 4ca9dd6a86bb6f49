"""Joint geometric and photometric transforms of multi-image samples.

Every random geometric transform draws its parameters once per sample and
applies them to every image (and every map in ``seg_fields``), so images and
labels stay pixel-aligned; photometric jitter is drawn per image.
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PhotoMetricDistortion

from ...registry import TRANSFORMS, register

__all__ = [
    'MultiImgRandomResize', 'MultiImgRandomCrop', 'MultiImgRandomFlip',
    'MultiImgRandomRotate90', 'MultiImgExchangeTime',
    'MultiImgPhotoMetricDistortion', 'SARLogScale',
    'MultiModalRandomResizedCrop', 'MultiModalResize', 'MultiModalRandomFlip'
]

SizeT = Tuple[int, int]


def _pair(size: Union[int, Sequence[int]]) -> SizeT:
    """``(h, w)`` from an int (square) or a pair."""
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def _resize(arr: np.ndarray, size_hw: SizeT, interpolation: str) -> np.ndarray:
    """Resize to ``size_hw`` with mmcv (cv2), keeping a 1-band channel axis."""
    out = mmcv.imresize(arr, (size_hw[1], size_hw[0]),
                        interpolation=interpolation)
    if arr.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


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
        _apply(results, lambda im: _resize(im, size, 'bilinear'),
               lambda m: _resize(m, size, 'nearest'))
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
        self.crop_size = _pair(crop_size)
        assert self.crop_size[0] > 0 and self.crop_size[1] > 0, crop_size
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


@register(TRANSFORMS, hosts=('mmpretrain', ))
class MultiModalRandomResizedCrop(BaseTransform):
    """One random resized crop, applied to every modality of a sample.

    The box has an area fraction in ``crop_scale`` and an aspect ratio in
    ``ratio`` (log-uniform), as in torchvision; after 10 failed draws the
    largest central box is used.

    Args:
        scale: Output size (H, W) or an int. Defaults to 224.
        crop_scale: Area fraction range. Defaults to (0.5, 1.0).
        ratio: Aspect-ratio range. Defaults to (3/4, 4/3).
        interpolation: mmcv interpolation. Defaults to 'bilinear'.
    """

    def __init__(self, scale: Union[int, Sequence[int]] = 224,
                 crop_scale: Tuple[float, float] = (0.5, 1.0),
                 ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                 interpolation: str = 'bilinear') -> None:
        self.scale = _pair(scale)
        self.crop_scale = crop_scale
        self.ratio = ratio
        self.interpolation = interpolation

    def _box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        area = h * w
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * np.random.uniform(*self.crop_scale)
            aspect = math.exp(np.random.uniform(*log_r))
            cw = int(round(math.sqrt(target * aspect)))
            ch = int(round(math.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                y = np.random.randint(0, h - ch + 1)
                x = np.random.randint(0, w - cw + 1)
                return y, x, ch, cw
        ch, cw = h, w
        aspect = w / h
        if aspect < self.ratio[0]:
            ch = int(round(w / self.ratio[0]))
        elif aspect > self.ratio[1]:
            cw = int(round(h * self.ratio[1]))
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape']
        y, x, ch, cw = self._box(h, w)
        results['imgs'] = {
            m: _resize(img[y:y + ch, x:x + cw], self.scale,
                       self.interpolation)
            for m, img in results['imgs'].items()
        }
        results['img_shape'] = self.scale
        return results


@register(TRANSFORMS, hosts=('mmpretrain', ))
class MultiModalResize(BaseTransform):
    """Resize every modality of a sample to one fixed size.

    Args:
        scale: Output size (H, W) or an int. Defaults to 224.
        interpolation: mmcv interpolation. Defaults to 'bilinear'.
    """

    def __init__(self, scale: Union[int, Sequence[int]] = 224,
                 interpolation: str = 'bilinear') -> None:
        self.scale = _pair(scale)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        results['imgs'] = {
            m: _resize(img, self.scale, self.interpolation)
            for m, img in results['imgs'].items()
        }
        results['img_shape'] = self.scale
        return results


@register(TRANSFORMS, hosts=('mmpretrain', ))
class MultiModalRandomFlip(BaseTransform):
    """Joint random horizontal / vertical flips and 90-degree rotations.

    Remote-sensing scenes have no canonical "up", so all eight dihedral
    transforms are valid augmentations.

    Args:
        prob: Probability of each flip. Defaults to 0.5.
        rot90: Also rotate by a random multiple of 90 degrees.
            Defaults to True.
    """

    def __init__(self, prob: float = 0.5, rot90: bool = True) -> None:
        self.prob = prob
        self.rot90 = rot90

    def transform(self, results: dict) -> dict:
        hflip = np.random.rand() < self.prob
        vflip = np.random.rand() < self.prob
        k = int(np.random.randint(4)) if self.rot90 else 0

        def apply(img: np.ndarray) -> np.ndarray:
            if hflip:
                img = img[:, ::-1]
            if vflip:
                img = img[::-1]
            if k:
                img = np.rot90(img, k, axes=(0, 1))
            return np.ascontiguousarray(img)

        results['imgs'] = {m: apply(i) for m, i in results['imgs'].items()}
        results['img_shape'] = next(iter(results['imgs'].values())).shape[:2]
        return results
