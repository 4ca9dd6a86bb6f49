"""Memory-saving layers: fused activation + Linear functions and the FFN.

Each autograd function computes ``Linear(act(...))`` and keeps only the
activation's *input* for the backward pass, recomputing the cheap
element-wise part there (like timm's ``activations_me``). Outputs and
gradients equal plain autograd's.
"""
import math
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ['linear_param_grads', 'apply_fused', 'GeluLinear', 'GatedLinear',
           'FFN']


def linear_param_grads(
        grad: Tensor, need_w: bool, need_b: bool,
        make_input: Callable[[], Tensor]
) -> Tuple[Optional[Tensor], Optional[Tensor]]:
    """Weight and bias gradients of a Linear from its output gradient.

    Args:
        grad: Output gradient flattened to [N, out].
        need_w: Compute the weight gradient.
        need_b: Compute the bias gradient.
        make_input: Recomputes the Linear's input [..., in]; called only
            when ``need_w``.

    Returns:
        ``(grad_w, grad_b)``, each None where not needed.
    """
    grad_w = grad_b = None
    if need_w:
        inp = make_input()
        grad_w = grad.t().mm(inp.reshape(-1, inp.shape[-1]))
    if need_b:
        grad_b = grad.sum(0)
    return grad_w, grad_b


def apply_fused(fn: type, acts: Sequence[Tensor], weight: Tensor,
                bias: Optional[Tensor]) -> Tensor:
    """``fn.apply(*acts, weight, bias)`` in the dtype the Linear would use.

    Args:
        fn: A fused function of this module (:class:`GeluLinear`,
            :class:`GatedLinear`).
        acts: Its activation inputs.
        weight: Linear weight [out, in].
        bias: Linear bias [out] or None.

    Returns:
        ``fn``'s output, computed in autocast's dtype when autocast is on
        (then off inside ``fn``), else in the activations' promoted dtype.
    """
    dev = acts[0].device.type
    if torch.is_autocast_enabled(dev):
        dtype = torch.get_autocast_dtype(dev)
    else:
        dtype = acts[0].dtype
        for a in acts[1:]:
            dtype = torch.promote_types(dtype, a.dtype)
    args = [t if t is None else t.to(dtype) for t in (*acts, weight, bias)]
    with torch.autocast(dev, enabled=False):
        return fn.apply(*args)


class GeluLinear(torch.autograd.Function):
    """``Linear(GELU(h))`` keeping only ``h`` for the backward pass.

    Autograd would keep both ``h`` (for GELU) and ``GELU(h)`` (for the
    Linear): two hidden maps (``4C`` channels each in an FFN). Here
    ``GELU(h)`` is recomputed in the backward pass (one element-wise pass).
    """

    @staticmethod
    def forward(ctx, h: Tensor, weight: Tensor,
                bias: Optional[Tensor]) -> Tensor:
        ctx.save_for_backward(h, weight)
        return F.linear(F.gelu(h), weight, bias)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        h, weight = ctx.saved_tensors
        grad = grad.contiguous()
        need_h, need_w, need_b = ctx.needs_input_grad
        grad_w, grad_b = linear_param_grads(
            grad.reshape(-1, grad.shape[-1]), need_w, need_b,
            lambda: F.gelu(h))
        grad_h = None
        if need_h:  # GELU's backward written over grad @ W (no new map)
            gp = grad.matmul(weight)
            grad_h = torch.ops.aten.gelu_backward.grad_input(
                gp, h, grad_input=gp)
        return grad_h, grad_w, grad_b


class GatedLinear(torch.autograd.Function):
    """``Linear(u * SiLU(z))`` keeping only ``u`` and ``z`` for backward.

    Autograd would keep ``u``, ``z``, ``SiLU(z)`` and the product (four
    maps); ``SiLU(z)`` and the product are recomputed here instead.
    """

    @staticmethod
    def forward(ctx, u: Tensor, z: Tensor, weight: Tensor,
                bias: Optional[Tensor]) -> Tensor:
        ctx.save_for_backward(u, z, weight)
        return F.linear(u * F.silu(z), weight, bias)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        u, z, weight = ctx.saved_tensors
        grad = grad.contiguous()
        need_u, need_z, need_w, need_b = ctx.needs_input_grad
        gate = F.silu(z)
        grad_w, grad_b = linear_param_grads(
            grad.reshape(-1, grad.shape[-1]), need_w, need_b,
            lambda: u * gate)
        grad_u = grad_z = None
        gp = grad.matmul(weight)
        if need_z:
            gz = gp * u
            grad_z = torch.ops.aten.silu_backward.grad_input(
                gz, z, grad_input=gz)
        if need_u:
            grad_u = gp.mul_(gate)
        return grad_u, grad_z, grad_w, grad_b


class FFN(nn.Module):
    """1x1 conv C -> rC, GELU, 1x1 conv rC -> C.

    Without autograd (inference), GELU runs in place and a large map is
    processed in ``ceil(ratio)`` bands of rows, so the hidden map never takes
    more memory than the input (the FFN is per pixel: same result). With
    autograd, GELU and the second conv are one :class:`GeluLinear` that
    keeps only the hidden map before GELU (one hidden map, not two).

    Args:
        dims: Input and output channels C.
        ratio: Hidden-channel expansion r. Defaults to 4.
    """

    #: hidden maps of at least this many bytes are processed in row bands
    CHUNK_BYTES = 1 << 25

    def __init__(self, dims: int, ratio: float = 4.) -> None:
        super().__init__()
        hidden = int(dims * ratio)
        self.fc1 = nn.Conv2d(dims, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dims, 1)

    def _mlp(self, x: Tensor) -> Tensor:
        x = self.fc1(x)
        if not torch.is_grad_enabled():
            return self.fc2(torch.ops.aten.gelu_(x))
        out = apply_fused(GeluLinear, [x.permute(0, 2, 3, 1)],
                          self.fc2.weight.flatten(1), self.fc2.bias)
        return out.permute(0, 3, 1, 2)  # from a [B, H, W, C] result

    def forward(self, x: Tensor) -> Tensor:
        """Map [B, C, H, W] to [B, C, H, W] (``x``'s memory format)."""
        hidden_bytes = x.numel() * x.element_size() * \
            self.fc1.out_channels // max(x.shape[1], 1)
        n = min(math.ceil(self.fc1.out_channels / self.fc2.out_channels),
                x.shape[2])
        if torch.is_grad_enabled() or hidden_bytes < self.CHUNK_BYTES \
                or n < 2:
            return self._mlp(x)
        out = torch.empty_like(x)  # keeps the memory format
        bounds = [round(i * x.shape[2] / n) for i in range(n + 1)]
        for r0, r1 in zip(bounds[:-1], bounds[1:]):
            out[:, :, r0:r1] = self._mlp(x[:, :, r0:r1])
        return out
