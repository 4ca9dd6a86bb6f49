"""High/low-frequency decoupled BEV feature codec with an exact byte budget.

Sender, for a BEV map F [C, H, W] (everything is parameter-free, so the
exchanged representation is task-agnostic):

1. **Low branch (dense).** The lowest ``h_l x w_l`` orthonormal DCT-II
   coefficients of every channel, ``L = D_H[:h_l] F D_W[:w_l]^T``, quantised
   to ``low_bits`` (see :func:`quantise`).
2. **High branch (sparse).** The residual ``R = F - D_H[:h_l]^T Q(L) D_W[:w_l]``
   against what the receiver will decode from the low band, the ``k`` cells of
   largest ``||R||_2`` over channels (sent in increasing cell order), their
   residual vectors quantised to ``high_bits``.

Receiver: ``F_hat = D_H[:h_l]^T Q(L) D_W[:w_l] + Scatter_k(Q(R))``.

Exact byte count per map (no header: both sides know C, H, W and the
settings; ``N = H W``):

* ``bytes_low = h_l w_l C low_bits / 8 + (4 C if low_bits == 8)``
* ``bytes_high(k) = 0`` for ``k = 0``, else
  ``k C high_bits / 8 + (4 C if high_bits == 8)
  + min(k ceil(log2(N) / 8), ceil(N / 8))`` (index list or bitmap).

8-bit quantisation is uniform per channel with an fp16 offset and step
(the ``4 C`` bytes); 16 bits is an fp16 cast; 32 bits is exact float32.
``k`` is the largest count whose total fits the budget, so the total never
exceeds it; with ``high_bits=32`` and a budget that fits ``k = N`` the map is
reconstructed exactly (to float rounding). :meth:`FreqDecoupledCodec.to_bytes`
serialises one map to a ``bytes`` object of exactly that length.
"""
import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor, nn

from ..utils.heat_math import cached_dct_matrix
from ...registry import MODELS, register

__all__ = ['CodecPlan', 'quantise', 'FreqDecoupledCodec']

_BITS = (8, 16, 32)


@dataclass(frozen=True)
class CodecPlan:
    """Sizes chosen for one map shape under one budget (all in bytes)."""
    channels: int
    height: int
    width: int
    low_hw: Tuple[int, int]
    k: int
    bytes_low: int
    bytes_high: int
    budget: Optional[int]

    @property
    def total(self) -> int:
        """Bytes sent per map (agent and frame)."""
        return self.bytes_low + self.bytes_high

    @property
    def raw(self) -> int:
        """Bytes of the uncompressed float32 map."""
        return 4 * self.channels * self.height * self.width

    @property
    def ratio(self) -> float:
        """Transmission ratio ``total / raw``."""
        return self.total / self.raw

    def index_bytes(self) -> Tuple[str, int]:
        """``('list' | 'bitmap', bytes)`` of the cell indices."""
        n = self.height * self.width
        if self.k == 0:
            return 'list', 0
        per = max(1, math.ceil(math.log2(n) / 8)) if n > 1 else 1
        as_list, as_map = self.k * per, math.ceil(n / 8)
        return ('list', as_list) if as_list <= as_map else ('bitmap', as_map)


def quantise(x: Tensor, bits: int
             ) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor], Tensor]:
    """Quantise ``x`` for transmission (straight-through gradient).

    Args:
        x: Values [M, C, ...].
        bits: 8 (uniform per (map, channel) with fp16 offset and step),
            16 (fp16 cast) or 32 (identity).

    Returns:
        ``(codes, offset, step, dequantised)``; ``codes`` are the integers
        (as floats) for 8 bits, else the dequantised values; offset and step
        are fp16-representable tensors [M, C, 1...] for 8 bits, else None.
    """
    if bits == 32:
        return x, None, None, x
    if bits == 16:
        deq = x.to(torch.float16).to(x.dtype)
        return deq, None, None, x + (deq - x).detach()
    if bits != 8:
        raise ValueError(f'quantisation bits must be one of {_BITS}, got '
                         f'{bits}')
    if x.numel() == 0:
        empty = x.new_zeros(x.shape[:2])
        return x.detach(), empty, empty, x
    flat = x.detach().flatten(2)
    lo = flat.amin(-1)
    hi = flat.amax(-1)
    lo = lo.to(torch.float16).to(x.dtype)
    step = ((hi - lo) / 255.0).to(torch.float16).to(x.dtype)
    step = torch.where(step > 0, step, torch.ones_like(step))
    shape = lo.shape + (1, ) * (x.dim() - lo.dim())
    lo, step = lo.view(shape), step.view(shape)
    codes = torch.round((x.detach() - lo) / step).clamp(0, 255)
    deq = codes * step + lo
    return codes, lo, step, x + (deq - x).detach()


@register(MODELS)
class FreqDecoupledCodec(nn.Module):
    """Dual-branch (low DCT band + sparse high residual) BEV feature codec.

    Args:
        budget: Bytes per map (agent and frame): an int (exact bytes), a
            float in (0, 1] (fraction of the raw float32 size) or None (no
            compression: the raw map is sent, ``4 C H W`` bytes).
            Defaults to None.
        low_size: ``(h_l, w_l)`` DCT coefficients kept per channel, or an
            int for both; clipped to the map size. Defaults to 8.
        low_bits: 8, 16 or 32. Defaults to 8.
        high_bits: 8, 16 or 32. Defaults to 16.
    """

    def __init__(self, budget: Optional[Union[int, float]] = None,
                 low_size: Union[int, Tuple[int, int]] = 8,
                 low_bits: int = 8, high_bits: int = 16) -> None:
        super().__init__()
        for name, bits in (('low_bits', low_bits), ('high_bits', high_bits)):
            if bits not in _BITS:
                raise ValueError(f'FreqDecoupledCodec.{name}={bits}: choose '
                                 f'one of {_BITS}.')
        if isinstance(low_size, int):
            low_size = (low_size, low_size)
        if min(low_size) < 1:
            raise ValueError(f'FreqDecoupledCodec.low_size={low_size} must '
                             f'be >= 1.')
        self.low_size = tuple(int(s) for s in low_size)
        self.low_bits, self.high_bits = low_bits, high_bits
        self.budget = budget

    @property
    def budget(self) -> Optional[Union[int, float]]:
        """Budget as configured (bytes, ratio or None)."""
        return self._budget

    @budget.setter
    def budget(self, value: Optional[Union[int, float]]) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f'FreqDecoupledCodec.budget must be int '
                                f'bytes, a float ratio or None, got {value!r}')
            if isinstance(value, float) and not 0 < value <= 1:
                raise ValueError(f'FreqDecoupledCodec.budget={value}: a float '
                                 f'budget is a fraction of the raw size in '
                                 f'(0, 1]; give bytes as an int.')
            if isinstance(value, int) and value < 0:
                raise ValueError(f'FreqDecoupledCodec.budget={value} bytes '
                                 f'must be >= 0.')
        self._budget = value

    # ----------------------------------------------------------- planning
    def _bytes_high(self, k: np.ndarray, c: int, n: int) -> np.ndarray:
        per = max(1, math.ceil(math.log2(n) / 8)) if n > 1 else 1
        val = k * c * self.high_bits // 8 + (4 * c if self.high_bits == 8
                                             else 0)
        idx = np.minimum(k * per, math.ceil(n / 8))
        return np.where(k > 0, val + idx, 0)

    def plan(self, channels: int, height: int, width: int) -> CodecPlan:
        """Choose ``k`` for a ``C x H x W`` map under the budget.

        Raises:
            ValueError: the budget cannot hold the low-frequency part.
        """
        c, n = channels, height * width
        raw = 4 * c * n
        if self.budget is None:
            return CodecPlan(c, height, width, (height, width), n, raw, 0,
                             None)
        budget = (int(math.floor(self.budget * raw))
                  if isinstance(self.budget, float) else int(self.budget))
        hl, wl = min(self.low_size[0], height), min(self.low_size[1], width)
        low = hl * wl * c * self.low_bits // 8 + (4 * c if self.low_bits == 8
                                                 else 0)
        if budget < low:
            raise ValueError(
                f'FreqDecoupledCodec: budget {budget} B per map is smaller '
                f'than the low-frequency part ({low} B = {hl}x{wl} DCT '
                f'coefficients x {c} channels at {self.low_bits} bits'
                f'{" + 4 B/channel offset+step" if self.low_bits == 8 else ""}'
                f'). Raise codec.budget to >= {low}, or lower codec.low_size '
                f'or codec.low_bits in the model config.')
        ks = np.arange(n + 1)
        # bytes_high is non-decreasing in k: the last k that fits
        k = int(np.searchsorted(self._bytes_high(ks, c, n), budget - low,
                                side='right')) - 1
        return CodecPlan(c, height, width, (hl, wl), k, low,
                         int(self._bytes_high(np.array(k), c, n)), budget)

    # ------------------------------------------------------------ codec
    def _bases(self, plan: CodecPlan, ref: Tensor) -> Tuple[Tensor, Tensor]:
        dh = cached_dct_matrix(plan.height, ref.dtype, ref.device)
        dw = cached_dct_matrix(plan.width, ref.dtype, ref.device)
        return dh[:plan.low_hw[0]], dw[:plan.low_hw[1]]

    def encode(self, feats: Tensor) -> Dict:
        """Encode maps [M, C, H, W] into a packet (dict of tensors + plan)."""
        if feats.dim() != 4:
            raise ValueError(f'FreqDecoupledCodec.encode expects [M, C, H, W] '
                             f'maps, got shape {tuple(feats.shape)}')
        m, c, h, w = feats.shape
        plan = self.plan(c, h, w)
        if self.budget is None:
            return dict(plan=plan, raw=feats)
        dh, dw = self._bases(plan, feats)
        low = torch.matmul(torch.matmul(dh, feats), dw.t())
        low_codes, low_off, low_step, low_deq = quantise(low, self.low_bits)
        rec_low = torch.matmul(torch.matmul(dh.t(), low_deq), dw)
        resid = (feats - rec_low).flatten(2)  # [M, C, N]
        k = plan.k
        idx = torch.topk(resid.detach().norm(dim=1), k, dim=1).indices
        idx = idx.sort(dim=1).values  # [M, k] increasing cell order
        vals = resid.gather(2, idx[:, None].expand(m, c, k))
        high_codes, high_off, high_step, high_deq = quantise(
            vals, self.high_bits)
        return dict(plan=plan, low_codes=low_codes, low_offset=low_off,
                    low_step=low_step, low=low_deq, index=idx,
                    high_codes=high_codes, high_offset=high_off,
                    high_step=high_step, high=high_deq)

    def decode(self, packet: Dict) -> Tensor:
        """Reconstruct maps [M, C, H, W] from :meth:`encode`'s packet."""
        plan = packet['plan']
        if 'raw' in packet:
            return packet['raw']
        low = packet['low']
        dh, dw = self._bases(plan, low)
        out = torch.matmul(torch.matmul(dh.t(), low), dw).flatten(2)
        high = packet['high']
        idx = packet['index'][:, None].expand_as(high)
        out = out.scatter_add(2, idx, high)
        return out.view(out.shape[0], plan.channels, plan.height, plan.width)

    def forward(self, feats: Tensor) -> Tuple[Tensor, CodecPlan]:
        """Encode and decode (what the receiver sees) and the plan."""
        packet = self.encode(feats)
        return self.decode(packet), packet['plan']

    # ----------------------------------------------------- serialisation
    @staticmethod
    def _values_bytes(codes: Tensor, off: Optional[Tensor],
                      step: Optional[Tensor], bits: int) -> bytes:
        arr = codes.detach().cpu().numpy()
        if bits == 32:
            return arr.astype('<f4').tobytes()
        if bits == 16:
            return arr.astype('<f2').tobytes()
        head = np.concatenate([off.detach().cpu().numpy().reshape(-1),
                               step.detach().cpu().numpy().reshape(-1)])
        return head.astype('<f2').tobytes() + arr.astype(np.uint8).tobytes()

    def to_bytes(self, packet: Dict, i: int = 0) -> bytes:
        """Serialise map ``i`` of a packet; ``len`` equals ``plan.total``."""
        plan = packet['plan']
        if 'raw' in packet:
            return packet['raw'][i].detach().cpu().numpy().astype(
                '<f4').tobytes()
        out = self._values_bytes(
            packet['low_codes'][i],
            None if packet['low_offset'] is None else packet['low_offset'][i],
            None if packet['low_step'] is None else packet['low_step'][i],
            self.low_bits)
        if plan.k == 0:
            return out
        kind, _ = plan.index_bytes()
        idx = packet['index'][i].cpu().numpy().astype(np.int64)
        n = plan.height * plan.width
        if kind == 'bitmap':
            mask = np.zeros(n, dtype=bool)
            mask[idx] = True
            out += np.packbits(mask).tobytes()
        else:
            per = max(1, math.ceil(math.log2(n) / 8))
            out += ((idx[:, None] >> (8 * np.arange(per))) & 255).astype(
                np.uint8).tobytes()
        out += self._values_bytes(
            packet['high_codes'][i],
            None if packet['high_offset'] is None
            else packet['high_offset'][i],
            None if packet['high_step'] is None else packet['high_step'][i],
            self.high_bits)
        return out

    @staticmethod
    def _read_values(buf: memoryview, pos: int, shape: Tuple[int, ...],
                     bits: int) -> Tuple[np.ndarray, int]:
        c, count = shape[0], int(np.prod(shape))
        if bits == 32:
            arr = np.frombuffer(buf, '<f4', count, pos).astype(np.float64)
            return arr.reshape(shape), pos + 4 * count
        if bits == 16:
            arr = np.frombuffer(buf, '<f2', count, pos).astype(np.float64)
            return arr.reshape(shape), pos + 2 * count
        head = np.frombuffer(buf, '<f2', 2 * c, pos).astype(np.float64)
        pos += 4 * c
        codes = np.frombuffer(buf, np.uint8, count, pos).astype(np.float64)
        off = head[:c].reshape((c, ) + (1, ) * (len(shape) - 1))
        step = head[c:].reshape(off.shape)
        return codes.reshape(shape) * step + off, pos + count

    def from_bytes(self, data: bytes, channels: int, height: int,
                   width: int) -> Tensor:
        """Decode one serialised map into a float64 tensor [C, H, W]."""
        plan = self.plan(channels, height, width)
        if len(data) != plan.total:
            raise ValueError(f'FreqDecoupledCodec.from_bytes: got '
                             f'{len(data)} B, the plan for {channels}x'
                             f'{height}x{width} needs {plan.total} B.')
        buf = memoryview(data)
        n = height * width
        if self.budget is None:
            arr = np.frombuffer(buf, '<f4').astype(np.float64)
            return torch.from_numpy(arr.reshape(channels, height, width))
        hl, wl = plan.low_hw
        low, pos = self._read_values(buf, 0, (channels, hl, wl),
                                     self.low_bits)
        dh = cached_dct_matrix(height, torch.float64, 'cpu')[:hl].numpy()
        dw = cached_dct_matrix(width, torch.float64, 'cpu')[:wl].numpy()
        out = np.einsum('ph,cpq,qw->chw', dh, low, dw).reshape(channels, n)
        if plan.k:
            kind, nbytes = plan.index_bytes()
            raw = np.frombuffer(buf, np.uint8, nbytes, pos)
            pos += nbytes
            if kind == 'bitmap':
                idx = np.nonzero(np.unpackbits(raw)[:n])[0]
            else:
                per = nbytes // plan.k
                idx = (raw.reshape(plan.k, per).astype(np.int64) <<
                       (8 * np.arange(per))).sum(1)
            high, pos = self._read_values(buf, pos, (channels, plan.k),
                                          self.high_bits)
            out[:, idx] += high
        return torch.from_numpy(out.reshape(channels, height, width))
