"""The three losses of RS-vHeat's multi-domain reconstruction.

* :class:`PixelL1Loss` -- ``L_Spa``: L1 between reconstruction and the
  original (normalised) image.
* :class:`FrequencyL1Loss` -- ``L_Fre``: L1 between the orthonormal DCT
  spectra of reconstruction and original. By default it is the *relative*
  L1 ``sum|P - T| / (sum|P| + sum|T| + eps)`` per image and channel, which
  lies in ``[0, 1]`` (triangle inequality) whatever the image scale, so
  optical and SAR (and the huge DC coefficient) cannot blow it up.
* :class:`CrossModalContrastiveLoss` -- ``L_Con``: cosine-similarity
  contrastive loss between paired features (high-frequency features of one
  modality vs low-frequency features of the other), symmetric InfoNCE by
  default, or positive-only ``1 - cos``.

The total pretraining loss is the weighted sum ``w_con L_Con + w_spa L_Spa +
w_fre L_Fre``; the weights are each loss's ``loss_weight`` (paper: all 1).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...registry import MODELS, register
from .masking import frequency_radius, image_dct

__all__ = ['PixelL1Loss', 'FrequencyL1Loss', 'CrossModalContrastiveLoss',
           'frequency_radius']


def _check_pair(pred: Tensor, target: Tensor, name: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f'{name}: prediction {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} must have the same shape; '
                         f'check the decoder output size / channels of this '
                         f'modality.')


@register(MODELS, hosts=('mmpretrain', ))
class PixelL1Loss(nn.Module):
    """Spatial reconstruction loss ``L_Spa = w * mean|pred - target|``.

    Args:
        loss_weight: Weight ``w`` in the total loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """pred, target: [B, C, H, W] normalised pixels."""
        _check_pair(pred, target, 'PixelL1Loss')
        dtype = torch.float64 if pred.dtype == torch.float64 else \
            torch.float32
        diff = pred.to(dtype) - target.to(dtype)
        return self.loss_weight * diff.abs().mean()


@register(MODELS, hosts=('mmpretrain', ))
class FrequencyL1Loss(nn.Module):
    """Frequency reconstruction loss ``L_Fre`` on orthonormal DCT spectra.

    With ``P = DCT(pred)``, ``T = DCT(target)`` per image and channel and an
    optional per-frequency weight ``a(u, v)``:

    * ``normalize='relative'`` (default):
      ``sum a|P - T| / (sum a(|P| + |T|) + eps)`` averaged over images and
      channels. Bounded in ``[0, 1]``, 0 iff ``P == T``, non-decreasing when
      an error is scaled up, and invariant to the image scale.
    * ``normalize='none'``: ``mean a|P - T|`` (unbounded; in normalised pixel
      units because the DCT is orthonormal).

    Args:
        loss_weight: Weight in the total loss. Defaults to 1.0.
        normalize: ``'relative'`` or ``'none'``. Defaults to 'relative'.
        freq_weighting: Use ``a = 1 / (1 + r)`` with ``r`` the normalised
            radius (emphasises low frequencies) instead of ``a = 1``.
            Defaults to False.
        eps: Added to the denominator. Defaults to 1e-6.
    """

    _modes = ('relative', 'none')

    def __init__(self, loss_weight: float = 1.0, normalize: str = 'relative',
                 freq_weighting: bool = False, eps: float = 1e-6) -> None:
        super().__init__()
        if normalize not in self._modes:
            raise ValueError(f'normalize={normalize!r}: choose one of '
                             f'{self._modes}')
        self.loss_weight = float(loss_weight)
        self.normalize = normalize
        self.freq_weighting = freq_weighting
        self.eps = float(eps)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """pred, target: [B, C, H, W] images (the DCT is taken here)."""
        _check_pair(pred, target, 'FrequencyL1Loss')
        dtype = torch.float64 if pred.dtype == torch.float64 else \
            torch.float32
        with torch.autocast(pred.device.type, enabled=False):
            p = image_dct(pred.to(dtype))
            t = image_dct(target.to(dtype))
            diff = (p - t).abs()
            if self.freq_weighting:
                a = 1. / (1. + frequency_radius(*p.shape[-2:], p.device))
                a = a.to(dtype)
            else:
                a = None
            if a is not None:
                diff = diff * a
            if self.normalize == 'none':
                return self.loss_weight * diff.mean()
            mag = p.abs() + t.abs()
            if a is not None:
                mag = mag * a
            num = diff.flatten(2).sum(-1)
            den = mag.flatten(2).sum(-1) + self.eps
            return self.loss_weight * (num / den).mean()


@register(MODELS, hosts=('mmpretrain', ))
class CrossModalContrastiveLoss(nn.Module):
    """Cosine-similarity contrastive loss ``L_Con`` between paired features.

    Row ``i`` of ``a`` and row ``i`` of ``b`` are a positive pair (e.g. the
    high-frequency feature of an optical image and the low-frequency feature
    of its SAR partner); every other row of the batch is a negative.

    * ``mode='infonce'`` (default): with ``s_ij = cos(a_i, b_j) / tau``,
      ``L = (CE(s, I) + CE(s^T, I)) / 2``. Symmetric in ``a`` and ``b``;
      bounded: ``0 <= L <= log(N) + 2 / tau``.
    * ``mode='cosine'``: positive-only ``mean(1 - cos(a_i, b_i))``, in
      ``[0, 2]``, 0 for identical directions.

    Args:
        mode: ``'infonce'`` or ``'cosine'``. Defaults to 'infonce'.
        temperature: ``tau`` of InfoNCE. Defaults to 0.1.
        loss_weight: Weight in the total loss. Defaults to 1.0.
    """

    _modes = ('infonce', 'cosine')

    def __init__(self, mode: str = 'infonce', temperature: float = 0.1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if mode not in self._modes:
            raise ValueError(f'mode={mode!r}: choose one of {self._modes}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.mode = mode
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def upper_bound(self, n: int) -> float:
        """Largest value the (unweighted) loss can take for ``n`` pairs."""
        if self.mode == 'cosine':
            return 2.0
        return math.log(max(n, 1)) + 2.0 / self.temperature

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """a, b: [N, D] features (normalised here); N = 0 gives 0."""
        if a.ndim != 2 or a.shape != b.shape:
            raise ValueError('CrossModalContrastiveLoss expects two [N, D] '
                             f'tensors of the same shape, got '
                             f'{tuple(a.shape)} and {tuple(b.shape)}')
        if a.shape[0] == 0:
            return (a.sum() + b.sum()) * 0.
        dtype = torch.float64 if a.dtype == torch.float64 else torch.float32
        a = F.normalize(a.to(dtype), dim=1)
        b = F.normalize(b.to(dtype), dim=1)
        if self.mode == 'cosine':
            return self.loss_weight * (1. - (a * b).sum(1)).mean()
        logits = a @ b.t() / self.temperature
        labels = torch.arange(a.shape[0], device=a.device)
        loss = 0.5 * (F.cross_entropy(logits, labels) +
                      F.cross_entropy(logits.t(), labels))
        return self.loss_weight * loss
