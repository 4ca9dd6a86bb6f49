"""Transforms for unlabelled optical / SAR / paired optical-SAR images.

A sample carries ``results['img_path'] = {modality: path}`` (one or more
modalities of the *same scene*). The transforms keep the modalities aligned:
one crop box, one flip, one rotation for all of them.

* :class:`LoadMultiModalImages` reads every modality with mmcv's
  ``LoadImageFromFile`` (``color_type='unchanged'``: 8/16-bit, float, 1-band
  and multi-band files keep their values), checks the band count of each
  modality and that paired images have the same size.
* :class:`MultiModalRandomResizedCrop`, :class:`MultiModalRandomFlip`,
  :class:`MultiModalResize` -- joint geometry.
* :class:`PackMultiModalInputs` -- ``inputs = {modality: Tensor[C, H, W]}``
  (uint8 kept, everything else float32) and a ``DataSample``.
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, LoadImageFromFile

from ..registry import TRANSFORMS, register

__all__ = ['LoadMultiModalImages', 'MultiModalRandomResizedCrop',
           'MultiModalRandomFlip', 'MultiModalResize', 'PackMultiModalInputs']

DEFAULT_CHANNELS = dict(opt=3, sar=1)


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


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


def _resize(img: np.ndarray, size_hw: Tuple[int, int],
            interpolation: str) -> np.ndarray:
    out = mmcv.imresize(img, (size_hw[1], size_hw[0]),
                        interpolation=interpolation)
    return out[..., None] if out.ndim == 2 else out


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


@register(TRANSFORMS, hosts=('mmpretrain', ))
class PackMultiModalInputs(BaseTransform):
    """Pack ``imgs`` into ``inputs = {modality: Tensor[C, H, W]}``.

    uint8 images stay uint8 (cheap to collate); every other dtype (uint16,
    int, float) becomes float32, which holds uint16 exactly.

    Args:
        meta_keys: Keys copied into the ``DataSample`` metainfo.
            Defaults to ('img_path', 'ori_shape', 'img_shape', 'modalities').
    """

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'ori_shape', 'img_shape', 'modalities')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        from mmpretrain.structures import DataSample
        inputs = {}
        for m, img in results['imgs'].items():
            arr = np.ascontiguousarray(img.transpose(2, 0, 1))
            if arr.dtype != np.uint8:
                arr = arr.astype(np.float32)
            inputs[m] = torch.from_numpy(arr)
        sample = DataSample()
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)
