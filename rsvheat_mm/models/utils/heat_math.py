"""Pure functions for the Heat Conduction Operator (HCO).

Everything here is stateless math on tensors: orthonormal DCT-II bases, the
frequency grid, the decay map and the 2-D heat transform
``IDCT2(DCT2(u) * exp(-k * (w_n^2 + v_m^2)))`` on channels-last tensors.
Modules (and the caches they keep) live in :mod:`..backbones.rsvheat`.

Two numerically equal paths compute the transforms: the dense matrix
product below (``O(N^1.5)`` for ``N = H W``) and real FFTs in
:mod:`.fast_dct` (``O(N log N)``). ``method='auto'`` (the default) picks one
per ``(H, W, device type)`` by the deterministic rule documented in
:func:`.fast_dct.choose_method`. Half-precision inputs (and autocast
regions) are computed in float32 and cast back, so bf16/fp16 models keep
the float32 accuracy of the spectral step.

Conventions: the DCT matrix ``D_N[n, p] = a_n cos(pi n (p + 1/2) / N)`` with
``a_0 = sqrt(1/N)`` and ``a_n = sqrt(2/N)``, so ``D @ D.T = I`` and ``D``
equals ``scipy.fft.dct(type=2, norm='ortho')``. Frequencies
``w_n = pi n / N``.
"""
import math
from contextlib import nullcontext
from functools import lru_cache
from typing import Tuple

import torch
from torch import Tensor

from .fast_dct import choose_method, dct2d_fft, idct2d_fft
from .precision import at_least_fp32

__all__ = [
    'dct_matrix', 'cached_dct_matrix', 'frequency_grid', 'decay_map',
    'heat_transform', 'dct2d', 'idct2d', 'stage_sizes'
]


def dct_matrix(n: int, dtype: torch.dtype = torch.float64,
               device: torch.device = None) -> Tensor:
    """Orthonormal DCT-II matrix of size ``n x n`` (row = frequency).

    Built in float64 and cast, so every dtype gets the most exact basis.
    """
    if n < 1:
        raise ValueError(f'DCT size must be >= 1, got {n}')
    pos = torch.arange(n, dtype=torch.float64) + 0.5
    freq = torch.arange(n, dtype=torch.float64)[:, None]
    mat = torch.cos(math.pi * freq * pos[None, :] / n)
    mat *= math.sqrt(2.0 / n)
    mat[0] *= math.sqrt(0.5)
    return mat.to(device=device, dtype=dtype)


@lru_cache(maxsize=64)
def _cached_dct(n: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    return dct_matrix(n, dtype, device)


def cached_dct_matrix(n: int, dtype: torch.dtype,
                      device: torch.device) -> Tensor:
    """DCT matrix cached per ``(n, dtype, device)`` (never in a state dict).

    The cache is process-wide and bounded (LRU, 64 entries), so models of
    many input sizes do not leak memory. Under ``torch.compile`` the matrix
    is built in the graph (dynamo would trace through the cache anyway).
    """
    if torch.compiler.is_compiling():
        return dct_matrix(int(n), dtype, device)
    return _cached_dct(int(n), dtype, torch.device(device))


def frequency_grid(h: int, w: int, dtype: torch.dtype = torch.float32,
                   device: torch.device = None) -> Tensor:
    """``(pi n / h)^2 + (pi m / w)^2`` as an ``h x w`` tensor."""
    wn = torch.arange(h, dtype=torch.float64) * (math.pi / h)
    vm = torch.arange(w, dtype=torch.float64) * (math.pi / w)
    grid = wn[:, None]**2 + vm[None, :]**2
    return grid.to(device=device, dtype=dtype)


def decay_map(k: Tensor) -> Tensor:
    """Decay ``exp(-k * (w_n^2 + v_m^2))`` for a diffusivity ``k`` [H, W, C].

    ``k`` must be non-negative (it is ``ReLU(Linear(FVE))``), so the result is
    in ``(0, 1]`` and exactly 1 at the DC corner.
    """
    h, w = k.shape[0], k.shape[1]
    grid = frequency_grid(h, w, dtype=k.dtype, device=k.device)
    return torch.exp(-k * grid[:, :, None])


def _apply_left(mat: Tensor, x: Tensor, dim: int) -> Tensor:
    """``mat @ x`` along ``dim`` of a channels-last [B, H, W, C] tensor.

    Uses only views of the contiguous tensor (no transposed copies): along
    H the trailing dims ``W*C`` are flattened, along W the leading ``B*H``.
    """
    b, h, w, c = x.shape
    if dim == 1:
        return torch.matmul(mat, x.reshape(b, h, w * c)).view(b, -1, w, c)
    return torch.matmul(mat, x.reshape(b * h, w, c)).view(b, h, -1, c)


def _dct2d_matrix(x: Tensor) -> Tensor:
    dh = cached_dct_matrix(x.shape[1], x.dtype, x.device)
    dw = cached_dct_matrix(x.shape[2], x.dtype, x.device)
    return _apply_left(dw, _apply_left(dh, x.contiguous(), 1), 2)


def _idct2d_matrix(x: Tensor) -> Tensor:
    dh = cached_dct_matrix(x.shape[1], x.dtype, x.device)
    dw = cached_dct_matrix(x.shape[2], x.dtype, x.device)
    return _apply_left(dh.t(), _apply_left(dw.t(), x.contiguous(), 2), 1)


def _spectral(x: Tensor, method: str, matrix_fn, fft_fn) -> Tensor:
    """Run ``matrix_fn`` or ``fft_fn`` in fp32/fp64 with autocast off."""
    if x.ndim != 4:
        raise ValueError(f'expected a channels-last [B, H, W, C] tensor, '
                         f'got shape {tuple(x.shape)}')
    path = choose_method(x.shape[1], x.shape[2], x.device, method)
    dev = x.device.type
    no_amp = (torch.autocast(dev, enabled=False)
              if torch.amp.is_autocast_available(dev) else nullcontext())
    with no_amp:
        y = x.to(at_least_fp32(x.dtype))
        y = matrix_fn(y) if path == 'matrix' else fft_fn(y)
    return y.to(x.dtype)


def dct2d(x: Tensor, method: str = 'auto') -> Tensor:
    """Orthonormal 2-D DCT-II over H and W of a channels-last tensor.

    Args:
        x: [B, H, W, C] real tensor.
        method: ``'auto'`` (default; see :func:`.fast_dct.choose_method`),
            ``'matrix'`` or ``'fft'``.
    """
    return _spectral(x, method, _dct2d_matrix, dct2d_fft)


def idct2d(x: Tensor, method: str = 'auto') -> Tensor:
    """Inverse of :func:`dct2d` (orthonormal DCT-III); same arguments."""
    return _spectral(x, method, _idct2d_matrix, idct2d_fft)


_PATHS = {
    'matrix': (_dct2d_matrix, _idct2d_matrix),
    'fft': (dct2d_fft, idct2d_fft),
}


class _HeatTransformFn(torch.autograd.Function):
    """``y = IDCT2(DCT2(u) * d)`` with a hand-written backward.

    The operator ``A = C^T diag(d) C`` (``C`` the orthonormal 2-D DCT) is
    symmetric, so ``dL/du = A g = IDCT2(DCT2(g) * d)`` and
    ``dL/dd = sum_batch DCT2(g) * DCT2(u)``. Only ``DCT2(u)`` (one map) and
    ``d`` are kept for the backward pass on both paths: autograd keeps the
    same on the matrix path (the DCT matrices need no gradient) but about
    seven maps on the FFT path (reorderings, complex twiddle products). The
    backward costs the same two transforms.
    """

    @staticmethod
    def forward(ctx, u: Tensor, decay: Tensor, path: str) -> Tensor:
        dct, idct = _PATHS[path]
        cu = dct(u)
        ctx.path = path
        ctx.save_for_backward(cu if ctx.needs_input_grad[1] else None,
                              decay)
        return idct(cu * decay)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        cu, decay = ctx.saved_tensors
        dct, idct = _PATHS[ctx.path]
        cg = dct(grad.contiguous())
        grad_d = (cg * cu).sum(0) if ctx.needs_input_grad[1] else None
        grad_u = idct(cg.mul_(decay)) if ctx.needs_input_grad[0] else None
        return grad_u, grad_d, None


def heat_transform(u: Tensor, decay: Tensor, method: str = 'auto') -> Tensor:
    """One heat-conduction step ``IDCT2(DCT2(u) * decay)``.

    Args:
        u: Channels-last signal [B, H, W, C].
        decay: Per-frequency, per-channel decay [H, W, C] in (0, 1].
        method: ``'auto'`` (default: the faster path for this size and
            device type, chosen deterministically by
            :func:`.fast_dct.choose_method`), ``'matrix'`` (dense DCT
            matrices, ``O(N^1.5)``) or ``'fft'`` (real FFTs,
            ``O(N log N)``).

    Returns:
        Tensor of the same shape and dtype as ``u``; the transform itself
        runs in float32 (float64 for float64 inputs) with autocast off.
    """
    if decay.shape != u.shape[1:]:
        raise ValueError(f'decay shape {tuple(decay.shape)} does not match '
                         f'signal shape {tuple(u.shape[1:])} (H, W, C)')

    def run(path: str):

        def fn(x: Tensor) -> Tensor:
            d = decay.to(x.dtype)
            if torch.is_grad_enabled() and (x.requires_grad
                                            or d.requires_grad):
                return _HeatTransformFn.apply(x, d, path)
            dct, idct = _PATHS[path]
            return idct(dct(x).mul_(d))  # no autograd: product in place

        return fn

    return _spectral(u, method, run('matrix'), run('fft'))


def stage_sizes(height: int, width: int,
                num_stages: int = 4) -> Tuple[Tuple[int, int], ...]:
    """Feature sizes of every stage for an input of ``height x width``.

    The stem has two stride-2 convs (k3, p1) and every downsample one, so
    each step maps ``n -> ceil(n / 2)``.
    """
    sizes = []
    h, w = -(-height // 4), -(-width // 4)  # ceil(ceil(n/2)/2) == ceil(n/4)
    for _ in range(num_stages):
        sizes.append((h, w))
        h, w = -(-h // 2), -(-w // 2)
    return tuple(sizes)
