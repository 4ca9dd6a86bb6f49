"""Packing of multi-image samples into model inputs.

* :class:`PackMultiImgSegInputs` concatenates the list along channels in
  order (``[A, B]`` -> 6 channels, ``[opt, sar]`` -> 4 channels) and records
  ``img_channels`` in the metainfo, which the models use to split it again.
* :class:`PackMultiModalInputs` gives ``inputs = {modality: Tensor[C, H, W]}``
  (uint8 kept, everything else float32) and a ``DataSample``.
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs

from ...registry import TRANSFORMS, register
from .transforms import _images

__all__ = ['PackMultiImgSegInputs', 'PackMultiModalInputs']


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
