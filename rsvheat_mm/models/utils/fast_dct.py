"""FFT-based orthonormal DCT-II / DCT-III and the automatic path choice.

The matrix path of :mod:`.heat_math` costs ``2 * H * W * C * (H + W)``
multiply-adds per image for the heat transform, i.e. ``O(N^1.5)`` for
``N = H * W`` tokens. This module computes the same transforms through real
FFTs in ``O(N log N)`` (Makhoul's even/odd reordering):

* DCT-II along ``dim`` of length ``n``: reorder ``v = [x0, x2, x4, ...,
  x5, x3, x1]``, ``V = rfft(v)``, ``Z_k = a_k exp(-i pi k / 2n) V_k`` for
  ``k <= n // 2``; then ``X_k = Re Z_k`` and ``X_{n-k} = -Im Z_k``. The
  orthonormal scale ``a_k`` (``sqrt(1/n)`` at ``k = 0``, else
  ``sqrt(2/n)``) is folded into the complex twiddle.
* DCT-III (the inverse): ``Z_k = (X_k - i X_{n-k}) / (a_k exp(-i pi k /
  2n))`` with ``X_n = 0``, ``v = irfft(Z, n)``, undo the reordering.

Both work on any dim of any tensor (channels-last ``[B, H, W, C]`` uses
dims 1 and 2 without transposed copies; the FFT runs strided), for any
length including odd ones, in float32/float64. Half-precision inputs are
computed in float32 and cast back (cuFFT supports half only for powers of
two, and a half DCT would lose ~3 digits).

Path choice (``method='auto'``), deterministic:
    The FFT path is used for an ``H x W`` map on device type ``t`` iff
    ``H + W >= FFT_MIN_SIDE_SUM[t]``. The rule depends only on
    ``(H, W, device type)``, so two calls with the same size on the same
    device always take the same path. Override it with
    :func:`set_fft_threshold` or the environment variable
    ``RSVHEAT_DCT_METHOD=matrix|fft|auto``. How the thresholds were chosen
    (``tools/analysis_tools/benchmark.py --hco-sweep``) and what is measured
    on which machine: ``docs/benchmarks.md``, section "The faster HCO".
"""
import math
import os
from functools import lru_cache
from typing import Dict, Tuple

import torch
from torch import Tensor

from .precision import at_least_fp32

__all__ = [
    'dct_fft', 'idct_fft', 'dct2d_fft', 'idct2d_fft', 'choose_method',
    'set_fft_threshold', 'FFT_MIN_SIDE_SUM', 'METHODS'
]

#: accepted values of ``method``
METHODS = ('auto', 'matrix', 'fft')

#: ``H + W`` from which ``method='auto'`` takes the FFT path, per device type
#: (types not listed use the ``'default'`` entry; origin of the values:
#: ``docs/benchmarks.md``).
FFT_MIN_SIDE_SUM: Dict[str, int] = {'cpu': 1536, 'cuda': 512, 'default': 1024}

_ENV = 'RSVHEAT_DCT_METHOD'


def set_fft_threshold(device_type: str, side_sum: int) -> None:
    """Set the ``H + W`` from which ``'auto'`` uses the FFT on a device type.

    Args:
        device_type: ``'cpu'``, ``'cuda'``, ... or ``'default'``.
        side_sum: Threshold on ``H + W``; 0 always picks the FFT, a huge
            value never does.
    """
    if int(side_sum) < 0:
        raise ValueError(f'side_sum must be >= 0, got {side_sum}')
    FFT_MIN_SIDE_SUM[str(device_type)] = int(side_sum)


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f'DCT method {method!r} is unknown: choose one of '
                         f'{METHODS} (rsvheat_mm/models/utils/fast_dct.py).')
    return method


def choose_method(height: int, width: int, device: torch.device,
                  method: str = 'auto') -> str:
    """Resolve ``method`` to ``'matrix'`` or ``'fft'`` for one map size.

    Args:
        height: Map height H.
        width: Map width W.
        device: Device the transform runs on (only its type matters).
        method: ``'auto'`` (default), ``'matrix'`` or ``'fft'``. ``'auto'``
            is first overridden by the environment variable
            ``RSVHEAT_DCT_METHOD`` when set.

    Returns:
        ``'matrix'`` or ``'fft'``; see the module docstring for the rule.
    """
    method = _check_method(method)
    if method == 'auto':
        env = os.environ.get(_ENV)
        if env:
            if env not in METHODS:
                raise ValueError(
                    f'{_ENV}={env!r} is not a DCT method; set it to one of '
                    f'{METHODS} or unset it (read by '
                    f'rsvheat_mm/models/utils/fast_dct.py).')
            method = env
    if method != 'auto':
        return method
    dev = torch.device(device).type
    limit = FFT_MIN_SIDE_SUM.get(dev, FFT_MIN_SIDE_SUM['default'])
    return 'fft' if height + width >= limit else 'matrix'


# --------------------------------------------------------------------------
# cached index / twiddle tables
# --------------------------------------------------------------------------
@lru_cache(maxsize=128)
def _tables(n: int, dtype: torch.dtype,
            device: torch.device) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Reorder index, its inverse, forward and inverse twiddles for ``n``."""
    perm = torch.cat([torch.arange(0, n, 2),
                      torch.arange(1, n, 2).flip(0)])
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    k = torch.arange(n // 2 + 1, dtype=torch.float64)
    scale = torch.full_like(k, math.sqrt(2.0 / n))
    scale[0] = math.sqrt(1.0 / n)
    fwd = torch.polar(scale, -math.pi * k / (2 * n))
    cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
    return (perm.to(device), inv.to(device), fwd.to(device, cdtype),
            (1.0 / fwd).to(device, cdtype))


def _along(t: Tensor, dim: int, ndim: int) -> Tensor:
    shape = [1] * ndim
    shape[dim] = -1
    return t.view(shape)


def _compute_dtype(x: Tensor) -> torch.dtype:
    if x.dtype not in (torch.float64, torch.float32, torch.float16,
                       torch.bfloat16):
        raise TypeError(f'FFT DCT needs a floating tensor, got {x.dtype}')
    return at_least_fp32(x.dtype)


def dct_fft(x: Tensor, dim: int) -> Tensor:
    """Orthonormal DCT-II of ``x`` along ``dim`` through one real FFT.

    Equals ``scipy.fft.dct(x, type=2, norm='ortho', axis=dim)``.

    Args:
        x: Real tensor (float16/bfloat16 are computed in float32).
        dim: Axis to transform.

    Returns:
        Tensor of ``x``'s shape and dtype.
    """
    dim = dim % x.ndim
    n = x.shape[dim]
    out_dtype, dtype = x.dtype, _compute_dtype(x)
    perm, _, fwd, _ = _tables(n, dtype, x.device)
    v = x.to(dtype).index_select(dim, perm)
    z = torch.fft.rfft(v, dim=dim) * _along(fwd, dim, x.ndim)
    lo = z.real
    if n > 2:
        hi = z.imag.narrow(dim, 1, (n - 1) // 2).flip(dim).neg_()
        lo = torch.cat([lo, hi], dim)
    return lo.to(out_dtype)


def idct_fft(x: Tensor, dim: int) -> Tensor:
    """Orthonormal DCT-III (inverse of :func:`dct_fft`) along ``dim``.

    Args:
        x: Real DCT coefficients (float16/bfloat16 computed in float32).
        dim: Axis to transform.

    Returns:
        Tensor of ``x``'s shape and dtype.
    """
    dim = dim % x.ndim
    n = x.shape[dim]
    out_dtype, dtype = x.dtype, _compute_dtype(x)
    _, inv, _, bwd = _tables(n, dtype, x.device)
    x = x.to(dtype)
    half = n // 2
    re = x.narrow(dim, 0, half + 1)
    if half > 0:
        rev = x.narrow(dim, n - half, half).flip(dim)
        im = torch.cat([torch.zeros_like(x.narrow(dim, 0, 1)), rev], dim)
    else:
        im = torch.zeros_like(re)
    z = torch.complex(re, im.neg_()) * _along(bwd, dim, x.ndim)
    v = torch.fft.irfft(z, n=n, dim=dim)
    return v.index_select(dim, inv).to(out_dtype)


def dct2d_fft(x: Tensor) -> Tensor:
    """Orthonormal 2-D DCT-II over H and W of a channels-last tensor."""
    return dct_fft(dct_fft(x, 1), 2)


def idct2d_fft(x: Tensor) -> Tensor:
    """Inverse of :func:`dct2d_fft` (orthonormal 2-D DCT-III)."""
    return idct_fft(idct_fft(x, 2), 1)
