"""FLOP (multiply-accumulate) counting that includes the DCT and FFTs.

:func:`count_macs` runs one forward under :class:`torch.utils.flop_counter.
FlopCounterMode`, which counts matrix products (so the DCT matmuls of the
matrix path), convolutions and attention kernels. The FFT path has no entry
there; we add one: a real FFT of ``n`` points costs ``2.5 n log2 n`` flops
and a complex one ``5 n log2 n`` (the usual radix-2 count). Element-wise
ops (norms, activations, the decay product) are not counted, as in fvcore
and mmengine -- the convention of every published FLOP figure we compare
with. Results are reported as MACs (= flops / 2), the unit papers call
"FLOPs".

Count inside :func:`fake_mode` (a ``FakeTensorMode`` accepting the real
weights as inputs): shapes and dtypes propagate, no activation is
allocated or computed, so counting a 2048 x 2048 ViT costs almost no
memory and time.
"""
import math
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Sequence

import torch
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.utils.flop_counter import FlopCounterMode

__all__ = ['count_macs', 'fft_flop_mapping', 'fake_mode']


def _prod(xs: Sequence[int]) -> int:
    out = 1
    for x in xs:
        out *= int(x)
    return out


def _fft_flops(shape: Sequence[int], dims: Sequence[int],
               per_point: float) -> int:
    n = _prod(shape[d] for d in dims)
    if n <= 1:
        return 0
    return int(per_point * _prod(shape) * math.log2(n))


def _r2c(x_shape, dim, *args, out_shape=None, **kwargs) -> int:
    return _fft_flops(x_shape, dim, 2.5)


def _c2r(x_shape, dim, *args, out_shape=None, **kwargs) -> int:
    return _fft_flops(out_shape, dim, 2.5)


def _c2c(x_shape, dim, *args, out_shape=None, **kwargs) -> int:
    return _fft_flops(x_shape, dim, 5.0)


def _sdpa_cpu(q_shape, k_shape, v_shape, *args, out_shape=None,
              **kwargs) -> int:
    """``Q K^T`` and ``A V`` of the CPU flash attention kernel."""
    b, h, lq, e = q_shape
    s, ev = k_shape[-2], v_shape[-1]
    return 2 * b * h * lq * s * (e + ev)


def fft_flop_mapping() -> Dict[object, Callable]:
    """``custom_mapping`` for :class:`FlopCounterMode`: aten FFTs and the
    CPU flash-attention kernel (not in torch's registry; the CUDA kernels
    are)."""
    aten = torch.ops.aten
    mapping = {aten._fft_r2c: _r2c, aten._fft_c2r: _c2r,
               aten._fft_c2c: _c2c}
    cpu_sdpa = getattr(aten, '_scaled_dot_product_flash_attention_for_cpu',
                       None)
    if cpu_sdpa is not None:
        mapping[cpu_sdpa] = _sdpa_cpu
    return mapping


@contextmanager
def fake_mode() -> Iterator[FakeTensorMode]:
    """A fake-tensor mode: count inside it without computing.

    The process-wide caches of DCT matrices and FFT tables are cleared on
    exit, so no fake tensor created while counting outlives the mode.
    """
    try:
        with FakeTensorMode(allow_non_fake_inputs=True) as mode:
            yield mode
    finally:
        from rsvheat_mm.models.utils import fast_dct, heat_math
        heat_math._cached_dct.cache_clear()
        fast_dct._tables.cache_clear()


def count_macs(model: nn.Module, input_shape: Sequence[int],
               forward: Optional[Callable] = None) -> Dict[str, float]:
    """Multiply-accumulates of one forward pass.

    Args:
        model: The module; call inside ``with fake_mode():`` to count
            without computing.
        input_shape: Input [B, C, H, W]; the input is created on the
            device of the model's first parameter (CPU if none).
        forward: Callable ``forward(model, x)``; defaults to ``model(x)``.

    Returns:
        ``{'macs': total, 'by_op': {op name: macs}}`` for the whole batch.
    """
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else 'cpu'
    x = torch.zeros(tuple(input_shape), device=device)  # fake in fake_mode
    counter = FlopCounterMode(display=False,
                              custom_mapping=fft_flop_mapping())
    with torch.no_grad(), counter:
        if forward is None:
            model(x)
        else:
            forward(model, x)
    by_op = {str(k): v / 2 for k, v in counter.get_flop_counts()
             .get('Global', {}).items()}
    return dict(macs=counter.get_total_flops() / 2, by_op=by_op)
