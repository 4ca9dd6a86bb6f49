"""Frequency-domain hierarchical masking (RS-vHeat self-supervision).

RS-vHeat masks images in the DCT domain rather than in patches: patch masks
erase small objects entirely, frequency masks keep their spatial support and
remove only part of their detail. The paper states the idea (a random
"sector" mask around the DC corner splits the spectrum into low and high
frequencies; 20-30 % of the high band is masked; both parts go back to the
image domain). The exact bands are not published; this module implements our
documented reading (``docs/pretraining.md``, method notes section 8):

Hierarchy (three levels, all drawn independently per image):

1. **Low / high split.** With normalised frequencies ``fu = u / H`` and
   ``fv = v / W`` (``u``, ``v`` = DCT row/column index, DC at ``(0, 0)``), the
   radius is ``r = sqrt(fu^2 + fv^2)``. The low band is ``r < rho`` with
   ``rho ~ U(low_radius)`` (default ``U(0.05, 0.15)``); it is never masked.
   The DC coefficient has ``r = 0`` and therefore always lies in the low band
   (``rho > 0`` is enforced), so the image mean is never masked.
2. **Rings.** The high band ``rho <= r <= r_max`` (``r_max`` = radius of the
   highest coefficient) is cut into ``num_rings`` rings of equal radial width.
3. **Sectors.** Each ring is cut into ``num_sectors`` sectors of equal angle
   ``theta = atan2(fu, fv)`` in ``[0, pi/2]``: the cells of the quarter-disc
   around the DC corner.

Drawing: the ``num_rings * num_sectors`` cells are visited in a random order
(a fresh permutation per image); whole cells are dropped in that order and
the last cell is dropped from its inner radius outwards, so exactly
``round(ratio * N_high)`` high-band coefficients are zeroed. ``ratio`` is
therefore **the fraction of the high-band DCT coefficients that is masked**
(the same mask for every channel of an image); it is a float (default 0.25,
inside the paper's 20-30 %) or a ``(min, max)`` range sampled per image.

Views: with ``X = DCT(x)`` (orthonormal DCT-II per channel, full H x W, no
padding), ``low = IDCT(X * M_low)``, ``high = IDCT(X * M_high * (1 - M_drop))``
and the encoder input ``masked = low + high = IDCT(X * (1 - M_drop))``
("restored to the original dimensions"). ``M_low`` and ``M_high`` are
complementary (disjoint, union = whole spectrum) and ``M_drop`` is a subset of
``M_high``; so ``x = masked + IDCT(X * M_drop)`` exactly.

Everything is batched (one sort per batch, no Python loop over images) and
deterministic under a seed (``seed=`` at construction, or a
``torch.Generator`` per call).
"""
import math
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from ..utils.heat_math import dct2d, idct2d
from ...registry import MODELS, register

__all__ = ['FrequencyHierarchicalMasking', 'FrequencyMaskOutput',
           'image_dct', 'image_idct']

RangeT = Union[float, Tuple[float, float]]


def normalised_frequencies(height: int, width: int,
                           device: Optional[torch.device] = None,
                           dtype: torch.dtype = torch.float32
                           ) -> Tuple[Tensor, Tensor]:
    """``fu = u / H`` and ``fv = v / W`` of the DCT bins, as two 1-D tensors."""
    fu = torch.arange(height, device=device, dtype=dtype) / height
    fv = torch.arange(width, device=device, dtype=dtype) / width
    return fu, fv


def frequency_radius(height: int, width: int,
                     device: Optional[torch.device] = None,
                     dtype: torch.dtype = torch.float32) -> Tensor:
    """Normalised radius ``sqrt((u/H)^2 + (v/W)^2)`` of every DCT bin [H, W]."""
    fu, fv = normalised_frequencies(height, width, device, dtype)
    return torch.sqrt(fu[:, None]**2 + fv[None, :]**2)


def image_dct(x: Tensor) -> Tensor:
    """Orthonormal 2-D DCT-II of a channels-first [B, C, H, W] tensor."""
    return dct2d(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def image_idct(x: Tensor) -> Tensor:
    """Inverse of :func:`image_dct` (orthonormal DCT-III)."""
    return idct2d(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class FrequencyMaskOutput(NamedTuple):
    """Result of :class:`FrequencyHierarchicalMasking`.

    Attributes:
        masked: Encoder input ``IDCT(X * (1 - M_drop))`` [B, C, H, W].
        low: Low-frequency view ``IDCT(X * M_low)`` [B, C, H, W].
        high: Masked high-frequency view ``IDCT(X * M_high * (1 - M_drop))``.
        spectrum: ``X = DCT(x)`` [B, C, H, W] (float32 or input dtype).
        low_mask: ``M_low`` [B, H, W] bool (True = low band, kept).
        high_mask: ``M_high = ~M_low`` [B, H, W] bool.
        drop_mask: ``M_drop`` [B, H, W] bool (True = coefficient zeroed).
        ring_index: Ring of every high-band coefficient, -1 in the low band
            [B, H, W] long (hierarchy level 2).
        sector_index: Sector of every high-band coefficient, -1 in the low
            band [B, H, W] long (hierarchy level 3).
        rho: Low/high cut radius per image [B].
        ratio: Target masked fraction of the high band per image [B].
    """
    masked: Tensor
    low: Tensor
    high: Tensor
    spectrum: Tensor
    low_mask: Tensor
    high_mask: Tensor
    drop_mask: Tensor
    ring_index: Tensor
    sector_index: Tensor
    rho: Tensor
    ratio: Tensor


def _as_range(value: RangeT, name: str, lo: float, hi: float,
              open_low: bool = False) -> Tuple[float, float]:
    if isinstance(value, (int, float)):
        a = b = float(value)
    elif isinstance(value, Sequence) and len(value) == 2:
        a, b = float(value[0]), float(value[1])
    else:
        raise ValueError(f'{name} must be a float or a (min, max) pair, got '
                         f'{value!r}')
    bad_low = a <= lo if open_low else a < lo
    if bad_low or b > hi or a > b:
        bound = '(' if open_low else '['
        raise ValueError(f'{name}={value!r} must lie in {bound}{lo}, {hi}] '
                         f'with min <= max')
    return a, b


@register(MODELS, hosts=('mmpretrain', ))
class FrequencyHierarchicalMasking(nn.Module):
    """Frequency-domain hierarchical masking (see the module docstring).

    Args:
        ratio: Fraction of the high-band DCT coefficients that is zeroed,
            a float or a ``(min, max)`` range drawn uniformly per image.
            Defaults to 0.25 (the paper's range is 20-30 %).
        low_radius: Normalised radius ``rho`` of the low band, a float or a
            ``(min, max)`` range drawn uniformly per image; must be > 0 so
            that the DC coefficient is always in the (kept) low band.
            Defaults to (0.05, 0.15).
        num_rings: Radial levels of the high band. Defaults to 4.
        num_sectors: Angular sectors per ring over ``[0, pi/2]``.
            Defaults to 8.
        seed: If not None, the module owns a ``torch.Generator`` seeded with
            it, so the sequence of masks is reproducible. None uses the
            global RNG (seeded by mmengine's ``randomness`` config).
            Defaults to None.

    Example:
        >>> masking = FrequencyHierarchicalMasking(ratio=0.25, seed=0)
        >>> out = masking(torch.randn(2, 3, 64, 64))
        >>> out.masked.shape
        torch.Size([2, 3, 64, 64])
    """

    def __init__(self,
                 ratio: RangeT = 0.25,
                 low_radius: RangeT = (0.05, 0.15),
                 num_rings: int = 4,
                 num_sectors: int = 8,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        self.ratio = _as_range(ratio, 'ratio', 0., 1.)
        self.low_radius = _as_range(low_radius, 'low_radius', 0., math.sqrt(2),
                                    open_low=True)
        if int(num_rings) < 1 or int(num_sectors) < 1:
            raise ValueError('num_rings and num_sectors must be >= 1, got '
                             f'{num_rings}, {num_sectors}')
        self.num_rings = int(num_rings)
        self.num_sectors = int(num_sectors)
        self.seed = seed
        self._generator: Optional[torch.Generator] = None
        if seed is not None:
            self._generator = torch.Generator().manual_seed(int(seed))

    @property
    def num_cells(self) -> int:
        """Cells of the high band (rings x sectors)."""
        return self.num_rings * self.num_sectors

    def extra_repr(self) -> str:
        return (f'ratio={self.ratio}, low_radius={self.low_radius}, '
                f'num_rings={self.num_rings}, num_sectors={self.num_sectors}, '
                f'seed={self.seed}')

    @staticmethod
    def _uniform(b: int, rng: Tuple[float, float],
                 gen: Optional[torch.Generator]) -> Tensor:
        lo, hi = rng
        return lo + (hi - lo) * torch.rand(b, generator=gen,
                                           dtype=torch.float64)

    def sample_masks(self, batch: int, height: int, width: int,
                     device: Union[str, torch.device] = 'cpu',
                     generator: Optional[torch.Generator] = None
                     ) -> Tuple[Tensor, ...]:
        """Draw the masks of a batch (no image needed).

        Args:
            batch: Number of images.
            height: Spectrum height H.
            width: Spectrum width W.
            device: Device of the returned tensors. Defaults to 'cpu'.
            generator: CPU generator for the draws. Defaults to the module's
                own (``seed``) or the global RNG.

        Returns:
            ``(low_mask, drop_mask, ring_index, sector_index, rho, ratio)``
            as documented in :class:`FrequencyMaskOutput`.
        """
        gen = generator if generator is not None else self._generator
        rho = self._uniform(batch, self.low_radius, gen)  # [B]
        ratio = self._uniform(batch, self.ratio, gen)  # [B]
        # random order of the cells, per image: rank of every cell
        cell_rank = torch.rand(batch, self.num_cells, generator=gen,
                               dtype=torch.float64).argsort(1).argsort(1)

        fu, fv = normalised_frequencies(height, width, dtype=torch.float64)
        r = frequency_radius(height, width, dtype=torch.float64)  # [H, W]
        theta = torch.atan2(fu[:, None].expand(height, width),
                            fv[None, :].expand(height, width))
        r_max = r.max().clamp_min(1e-12)

        low = r[None] < rho[:, None, None]  # [B, H, W]
        # level 2: rings of equal width over [rho, r_max]
        span = (r_max - rho).clamp_min(1e-12)[:, None, None]
        pos = ((r[None] - rho[:, None, None]) / span).clamp(0., 1.)
        ring_f = pos * self.num_rings
        ring = ring_f.floor().long().clamp_(0, self.num_rings - 1)
        within = (ring_f - ring).clamp(0., 1. - 1e-9)  # inner -> outer
        # level 3: sectors of equal angle over [0, pi/2]
        sector = (theta * (self.num_sectors / (math.pi / 2))).floor().long()
        sector = sector.clamp_(0, self.num_sectors - 1).expand_as(ring)
        cell = ring * self.num_sectors + sector
        # priority: cell order, then radius inside the cell; low band last
        key = torch.gather(cell_rank, 1, cell.flatten(1)).view(
            batch, height, width).double() + within
        key = key.masked_fill(low, float(self.num_cells + 1))
        n_high = (~low).flatten(1).sum(1)  # [B]
        k = torch.round(ratio * n_high.double()).long()  # [B]
        order = key.flatten(1).argsort(1)
        rank = torch.empty_like(order).scatter_(
            1, order, torch.arange(order.shape[1]).expand_as(order))
        drop = (rank < k[:, None]).view(batch, height, width) & ~low

        ring = ring.masked_fill(low, -1)
        sector = sector.masked_fill(low, -1)
        to = dict(device=device)
        return (low.to(**to), drop.to(**to), ring.to(**to), sector.to(**to),
                rho.float().to(**to), ratio.float().to(**to))

    def forward(self, x: Tensor,
                generator: Optional[torch.Generator] = None
                ) -> FrequencyMaskOutput:
        """Mask a batch of images of one modality.

        Args:
            x: Images [B, C, H, W] (normalised, any C).
            generator: CPU generator for this call. Defaults to the module's
                own (``seed``) or the global RNG.

        Returns:
            :class:`FrequencyMaskOutput`; the image-domain views keep the
            dtype of ``x``; the transform runs in float32 (or float64 for a
            float64 input).
        """
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError('FrequencyHierarchicalMasking expects images '
                             f'[B, C, H, W], got {getattr(x, "shape", x)!r}')
        b, _, h, w = x.shape
        low, drop, ring, sector, rho, ratio = self.sample_masks(
            b, h, w, x.device, generator)
        work = x if x.dtype == torch.float64 else x.float()
        with torch.autocast(x.device.type, enabled=False):
            spec = image_dct(work)
            low_f = low[:, None].to(spec.dtype)
            keep_high = ((~low) & (~drop))[:, None].to(spec.dtype)
            low_img = image_idct(spec * low_f)
            high_img = image_idct(spec * keep_high)
        return FrequencyMaskOutput(
            masked=(low_img + high_img).to(x.dtype), low=low_img.to(x.dtype),
            high=high_img.to(x.dtype), spectrum=spec, low_mask=low,
            high_mask=~low, drop_mask=drop, ring_index=ring,
            sector_index=sector, rho=rho, ratio=ratio)
