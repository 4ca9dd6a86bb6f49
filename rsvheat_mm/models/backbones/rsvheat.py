"""RS-vHeat: heat-conduction backbone for remote-sensing images.

Papers:
    Hu et al., "RS-vHeat: Heat Conduction Guided Efficient Remote Sensing
    Foundation Model", ICCV 2025 (arXiv 2411.17984).
    Wang et al., "Building Vision Models upon Heat Conduction", CVPR 2025
    (arXiv 2405.16555).

This file tells the whole model top-down:

* :class:`HeatConduction` -- the HCO layer: optional Spatial Correction
  Embedding (SCE) ``LN(ReLU(x + SCE))``, DWConv, Linear C->2C split into a
  signal ``u`` and a gate ``z``, ``IDCT2(DCT2(u) * exp(-K w^2))``, LayerNorm,
  ``u * SiLU(z)``, Linear.
* :class:`HeatBlock` -- pre- or post-norm residual block of HCO and FFN with
  optional layer scale and drop path.
* :class:`RSvHeat` -- stems per modality, four stages at strides 4/8/16/32
  whose blocks share one Frequency Value Embedding (FVE) and one SCE per
  stage, downsampling convs, and a LayerNorm per dense output.

The math (DCT bases, frequency grid, decay) lives in pure functions in
:mod:`rsvheat_mm.models.utils.heat_math`; checkpoint conversion from the
official vHeat / RS-vHeat layouts in
:mod:`rsvheat_mm.models.backbones.checkpoint`.

Code of the public releases (MzeroMiko/vHeat, iecashhy/RS-vHeat) was read
to learn the layout; this is an independent implementation.
"""
import math
import warnings
from copy import deepcopy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import ALL_HOSTS, MODELS, register
from ..utils.heat_math import decay_map, heat_transform, stage_sizes

__all__ = ['RSvHeat', 'HeatBlock', 'HeatConduction', 'LayerNorm2d']

SizeT = Tuple[int, int]


# --------------------------------------------------------------------------
# small layers
# --------------------------------------------------------------------------
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a channels-first [B, C, H, W] tensor.

    ``forward(x, scale)`` returns ``scale * LN(x)`` as one LayerNorm with the
    affine parameters scaled (``LN(x; scale * w, scale * b)``), so autograd
    keeps the norm's input only, not also its output for ``scale``'s grad.
    """

    def forward(self, x: Tensor, scale: Optional[Tensor] = None) -> Tensor:
        w, b = self.weight, self.bias
        if scale is not None:
            w, b = w * scale, b * scale
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, w, b,
                         self.eps)
        return x.permute(0, 3, 1, 2)


def drop_path(x: Tensor, rate: float, training: bool) -> Tensor:
    """Stochastic depth per sample (identity when not training)."""
    if rate == 0. or not training:
        return x
    keep = 1. - rate
    mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


def _at_least_fp32(dtype: torch.dtype) -> torch.dtype:
    """fp16/bf16 -> fp32; fp32/fp64 unchanged (the spectral path's dtype)."""
    return torch.promote_types(dtype, torch.float32)


class HeatStem(nn.Module):
    """Stride-4 stem: Conv s2 -> LN -> GELU -> Conv s2 -> LN."""

    def __init__(self, in_channels: int, embed_dims: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, embed_dims // 2, 3, 2, 1)
        self.norm1 = LayerNorm2d(embed_dims // 2, eps=1e-6)
        self.conv2 = nn.Conv2d(embed_dims // 2, embed_dims, 3, 2, 1)
        self.norm2 = LayerNorm2d(embed_dims, eps=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = F.gelu(self.norm1(self.conv1(x)))
        return self.norm2(self.conv2(x))


class Downsample(nn.Module):
    """Conv 3x3 s2 (no bias) -> LN, between stages."""

    def __init__(self, in_dims: int, out_dims: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_dims, out_dims, 3, 2, 1, bias=False)
        self.norm = LayerNorm2d(out_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.conv(x))


def _linear_param_grads(g2: Tensor, need_w: bool, need_b: bool,
                        make_input) -> Tuple[Optional[Tensor],
                                             Optional[Tensor]]:
    """Weight and bias grads of a Linear from its output grad ``g2``
    [N, out]; ``make_input()`` recomputes its input (only if needed)."""
    grad_w = grad_b = None
    if need_w:
        inp = make_input()
        grad_w = g2.t().mm(inp.reshape(-1, inp.shape[-1]))
    if need_b:
        grad_b = g2.sum(0)
    return grad_w, grad_b


def _apply_fused(fn, acts: Sequence[Tensor], weight: Tensor,
                 bias: Optional[Tensor]) -> Tensor:
    """``fn.apply(*acts, weight, bias)`` in the dtype the Linear would run
    in: autocast's when autocast is on (then off inside ``fn``), else the
    activations' (promoted) dtype."""
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


class _GeluLinear(torch.autograd.Function):
    """``Linear(GELU(h))`` keeping only ``h`` for the backward pass.

    Autograd would keep both ``h`` (for GELU) and ``GELU(h)`` (for the
    Linear): two hidden maps (``4C`` channels each). Here ``GELU(h)`` is
    recomputed in the backward pass (one element-wise pass).
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
        grad_w, grad_b = _linear_param_grads(
            grad.reshape(-1, grad.shape[-1]), need_w, need_b,
            lambda: F.gelu(h))
        grad_h = None
        if need_h:  # GELU's backward written over grad @ W (no new map)
            gp = grad.matmul(weight)
            grad_h = torch.ops.aten.gelu_backward.grad_input(
                gp, h, grad_input=gp)
        return grad_h, grad_w, grad_b


class _GatedLinear(torch.autograd.Function):
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
        grad_w, grad_b = _linear_param_grads(
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
    autograd, GELU and the second conv are one function that keeps only the
    hidden map before GELU for the backward pass (one hidden map, not two).
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
        out = _apply_fused(_GeluLinear, [x.permute(0, 2, 3, 1)],
                           self.fc2.weight.flatten(1), self.fc2.bias)
        return out.permute(0, 3, 1, 2)  # from a [B, H, W, C] result

    def forward(self, x: Tensor) -> Tensor:
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


# --------------------------------------------------------------------------
# the Heat Conduction Operator
# --------------------------------------------------------------------------
class HeatConduction(nn.Module):
    """The HCO layer (vHeat "Heat2D") with RS-vHeat's structure correction.

    Args:
        dims: Channels C.
        use_sce: Apply ``LN(ReLU(x + SCE))`` before the DWConv (RS-vHeat).
            Defaults to True.
    """

    def __init__(self, dims: int, use_sce: bool = True) -> None:
        super().__init__()
        self.dims = dims
        self.use_sce = use_sce
        if use_sce:
            self.norm1 = LayerNorm2d(dims)
        self.dwconv = nn.Conv2d(dims, dims, 3, 1, 1, groups=dims)
        self.linear = nn.Linear(dims, 2 * dims)
        self.out_norm = nn.LayerNorm(dims)
        self.out_linear = nn.Linear(dims, dims)
        self.to_k = nn.Linear(dims, dims)

    def compute_decay(self, fve: Tensor) -> Tensor:
        """Decay ``exp(-ReLU(to_k(FVE)) * w^2)`` [H, W, C] in float32.

        Batch-independent: computed once per forward (or once per size in
        eval / deploy), never per sample.
        """
        dtype = _at_least_fp32(self.to_k.weight.dtype)
        with torch.autocast(fve.device.type, enabled=False):
            k = F.relu(F.linear(fve.to(dtype), self.to_k.weight.to(dtype),
                                self.to_k.bias.to(dtype)))
            return decay_map(k)

    def forward(self, x: Tensor, decay: Tensor,
                sce: Optional[Tensor] = None) -> Tensor:
        """x: [B, C, H, W]; decay: [H, W, C]; sce: [C, H, W] or None.

        Without autograd (inference) the element-wise steps run in place on
        tensors this method created and intermediates are released as soon
        as they are used, so fewer feature-map-sized buffers coexist.
        """
        inplace = not torch.is_grad_enabled()
        device = x.device.type
        if self.use_sce:
            x = x + sce.to(x.dtype)
            x = self.norm1(F.relu(x, inplace=inplace))
        x = self.dwconv(x).permute(0, 2, 3, 1)  # channels-last view
        c = self.dims
        w, b = self.linear.weight, self.linear.bias
        # two GEMMs on weight halves give contiguous u and z (no split copy)
        u = F.linear(x, w[:c], b[:c])
        z = F.linear(x, w[c:], b[c:])
        del x
        dtype = _at_least_fp32(u.dtype)
        with torch.autocast(device, enabled=False):
            u = heat_transform(u.to(dtype), decay.to(dtype))
        u = self.out_norm(u)
        if inplace:
            u = u.mul_(F.silu(z, inplace=True).to(u.dtype))
            del z
            return self.out_linear(u).permute(0, 3, 1, 2)
        # autograd: gate and output Linear in one function that keeps two
        # maps (u, z) for the backward pass instead of four
        out = _apply_fused(_GatedLinear, [u, z], self.out_linear.weight,
                           self.out_linear.bias)
        return out.permute(0, 3, 1, 2)


class HeatBlock(nn.Module):
    """Residual block: HCO then FFN.

    Pre-norm: ``x + DP(g1 * HCO(LN(x)))``; post-norm (res-post-norm):
    ``x + DP(g1 * LN(HCO(x)))``; the same for the FFN.

    Args:
        dims: Channels.
        drop_path: Drop-path rate. Defaults to 0.
        post_norm: Use res-post-norm. Defaults to False.
        layer_scale: Initial layer-scale value; None disables it.
            Defaults to None.
        mlp_ratio: FFN expansion. Defaults to 4.
        use_sce: See :class:`HeatConduction`. Defaults to True.
        with_cp: Gradient checkpointing (non-reentrant). Defaults to False.
    """

    def __init__(self, dims: int, drop_path: float = 0.,
                 post_norm: bool = False, layer_scale: Optional[float] = None,
                 mlp_ratio: float = 4., use_sce: bool = True,
                 with_cp: bool = False) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(dims)
        self.op = HeatConduction(dims, use_sce)
        self.norm2 = LayerNorm2d(dims)
        self.mlp = FFN(dims, mlp_ratio)
        self.post_norm = post_norm
        self.drop_path_rate = drop_path
        self.with_cp = with_cp
        if layer_scale is not None:
            self.gamma1 = nn.Parameter(torch.full((dims, ), layer_scale))
            self.gamma2 = nn.Parameter(torch.full((dims, ), layer_scale))
        else:
            self.gamma1 = self.gamma2 = None

    def _scale(self, x: Tensor, gamma: Optional[Tensor]) -> Tensor:
        x = x if gamma is None else x * gamma.view(1, -1, 1, 1)
        return drop_path(x, self.drop_path_rate, self.training)

    def _norm_scale(self, norm: LayerNorm2d, x: Tensor,
                    gamma: Optional[Tensor]) -> Tensor:
        """``DP(gamma * LN(x))`` (post-norm branch), the layer scale folded
        into the norm (see :class:`LayerNorm2d`)."""
        return drop_path(norm(x, gamma), self.drop_path_rate, self.training)

    def _forward(self, x: Tensor, decay: Optional[Tensor],
                 sce: Optional[Tensor], fve: Optional[Tensor]) -> Tensor:
        if decay is None:  # lean mode: made here, freed after the HCO
            decay = self.op.compute_decay(fve)
        if self.post_norm:
            x = x + self._norm_scale(self.norm1, self.op(x, decay, sce),
                                     self.gamma1)
            decay = None
            return x + self._norm_scale(self.norm2, self.mlp(x),
                                        self.gamma2)
        x = x + self._scale(self.op(self.norm1(x), decay, sce), self.gamma1)
        decay = None
        return x + self._scale(self.mlp(self.norm2(x)), self.gamma2)

    def forward(self, x: Tensor, decay: Optional[Tensor],
                sce: Optional[Tensor] = None,
                fve: Optional[Tensor] = None) -> Tensor:
        """x: [B, C, H, W]; decay: [H, W, C], or None to compute it from
        ``fve`` ([H, W, C], the stage's resized FVE) inside the block (and,
        with ``with_cp``, again in the backward pass instead of keeping
        it)."""
        if decay is None and fve is None:
            raise ValueError('HeatBlock needs a decay or the FVE to make it')
        if self.with_cp and torch.is_grad_enabled() and x.requires_grad:
            return cp.checkpoint(self._forward, x, decay, sce, fve,
                                 use_reentrant=False)
        return self._forward(x, decay, sce, fve)


class HeatStage(nn.Module):
    """A stage: blocks sharing the stage's FVE and SCE."""

    def __init__(self, blocks: List[HeatBlock]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor, decays: Optional[Sequence[Tensor]],
                sce: Optional[Tensor],
                fve: Optional[Tensor] = None) -> Tensor:
        """``decays``: one per block, or None to let every block compute
        its own from ``fve`` (lean mode)."""
        if decays is None:
            decays = [None] * len(self.blocks)
        for block, decay in zip(self.blocks, decays):
            x = block(x, decay, sce, fve)
        return x


# --------------------------------------------------------------------------
# the backbone
# --------------------------------------------------------------------------
def resize_embedding(emb: Tensor, size: SizeT, mode: str) -> Tensor:
    """Resize an [H, W, C] embedding to ``size`` (FVE/SCE resize policy).

    ``'bilinear'`` / ``'bicubic'``: interpolation with
    ``align_corners=False`` (same normalised frequency, so the same
    per-pixel diffusion kernel). ``'zero_pad'``: vHeat's downstream script,
    zero rows/columns at high frequencies (bottom/right), cropping when the
    target is smaller.
    """
    if tuple(emb.shape[:2]) == tuple(size):
        return emb
    if mode == 'zero_pad':
        h, w = size
        out = emb[:h, :w]
        return F.pad(out, (0, 0, 0, w - out.shape[1], 0, h - out.shape[0]))
    x = emb.permute(2, 0, 1)[None].float()
    x = F.interpolate(x, size=size, mode=mode, align_corners=False)
    return x[0].permute(1, 2, 0).to(emb.dtype)


def _to_pair(size: Union[int, Sequence[int]]) -> SizeT:
    if isinstance(size, int):
        return (size, size)
    if len(size) != 2:
        raise ValueError(f'img_size must be an int or (H, W), got {size!r}')
    return (int(size[0]), int(size[1]))


@register(MODELS, hosts=ALL_HOSTS)
class RSvHeat(BaseModule):
    """RS-vHeat backbone (vHeat with Spatial Correction Embeddings).

    A drop-in dense backbone for mmdet, mmseg, mmrotate and mmpretrain:
    ``backbone=dict(type='RSvHeat', arch='base', ...)``.

    Args:
        arch: ``'tiny'``, ``'small'``, ``'base'`` (or ``'t'``, ``'s'``,
            ``'b'``) or a dict with keys ``embed_dims`` (int) and ``depths``
            (list of ints, one per stage) and optionally ``post_norm``
            (bool), ``layer_scale`` (float or None), ``mlp_ratio`` (float)
            and ``drop_path_rate`` (float). Defaults to ``'tiny'``.
        in_channels: Input channels of a single stem (3 optical, 1 SAR, N
            multispectral), or a dict ``{modality: channels}`` building one
            stem per modality in front of one shared encoder, e.g.
            ``dict(opt=3, sar=1)``. An int names its stem ``'opt'`` (3),
            ``'sar'`` (1) or ``'ms'`` (other). Defaults to 3.
        img_size: Pretraining size (int or (H, W)); it fixes the stored
            size of every FVE and SCE (``ceil(img/4) / 2^i``). Any input size
            works at run time. Defaults to 224.
        out_indices: Stages whose (pre-downsample) features are returned,
            each through its own LayerNorm ``norm{i}``. Negative indices
            count from the end. Defaults to (0, 1, 2, 3).
        use_sce: Spatial Correction Embeddings (RS-vHeat). False gives plain
            vHeat. Defaults to True.
        fve_resize: How FVE is resized to a feature size different from the
            stored one: ``'bilinear'`` (default), ``'bicubic'`` (vHeat's
            runtime resize) or ``'zero_pad'`` (vHeat's downstream script).
            The SCE is always resized bilinearly, like a position embedding.
        modality_fusion: How a multi-stem model combines modalities when one
            input carries all of them concatenated along channels (in the
            order of ``in_channels``): ``'mean'`` (default), ``'sum'`` or
            ``'concat'`` (doubles the output channels). The modalities run
            through the shared encoder as one batch.
        drop_path_rate: Stochastic depth, linearly increased over blocks.
            Defaults to the arch value (0.1 / 0.3 / 0.5).
        frozen_stages: -1 freezes nothing; 0 freezes the stems; k >= 1 also
            freezes stages 0..k-1 with their FVE, SCE, following downsample
            and output norms. Defaults to -1.
        norm_eval: Keep every norm layer in eval mode during training.
            Defaults to False.
        with_cp: Gradient checkpointing in every block. Defaults to False.
        min_size: Smallest accepted input side, in pixels. Defaults to 32.
        check_finite: Raise on NaN/Inf inputs. Defaults to True.
        cache_decays: True keeps the size-dependent tensors -- every block's
            decay ``exp(-k w^2)`` and the resized FVE / SCE -- between
            forwards when no gradient is needed, and precomputes them in
            :meth:`switch_to_deploy`: fastest for repeated inputs of one
            size. False (lean mode) keeps none of them: each block computes
            its decay in its own forward and frees it afterwards (with
            ``with_cp``, recomputes it in the backward pass), which saves
            ``sum_i depth_i * H_i * W_i * C_i`` floats -- about 0.26 GB for
            ``base`` at 1024 x 1024, 1 GB at 2048 x 2048 -- for one extra
            ``C x C`` GEMM over the map per block and forward. ``'auto'``
            keeps them for an input size when they take at most
            :attr:`decay_cache_budget` bytes (512 MiB: ``base`` up to about
            1400 x 1400 px) and is lean above. Outputs are identical in all
            three. Defaults to ``'auto'``.
        init_cfg: ``dict(type='Pretrained', checkpoint=..., prefix=...)``
            loads (and converts, and resizes) a checkpoint of this plugin or
            of the official vHeat / RS-vHeat releases; shape mismatches
            raise with the list of keys. Defaults to None (trunc-normal
            Linear and embeddings, PyTorch default convs).
        pretrained: Deprecated alias of ``init_cfg=dict(type='Pretrained',
            checkpoint=pretrained)`` (mmseg's ``EncoderDecoder`` forwards
            its ``pretrained`` here). Defaults to None.
    """

    arch_zoo: Dict[str, dict] = {
        **dict.fromkeys(['t', 'tiny'], dict(
            embed_dims=96, depths=[2, 2, 6, 2], post_norm=False,
            layer_scale=None, drop_path_rate=0.1)),
        **dict.fromkeys(['s', 'small'], dict(
            embed_dims=96, depths=[2, 2, 18, 2], post_norm=True,
            layer_scale=1e-5, drop_path_rate=0.3)),
        **dict.fromkeys(['b', 'base'], dict(
            embed_dims=128, depths=[2, 2, 18, 2], post_norm=True,
            layer_scale=1e-5, drop_path_rate=0.5)),
    }
    _arch_required = {'embed_dims', 'depths'}
    _arch_optional = {'post_norm', 'layer_scale', 'mlp_ratio',
                      'drop_path_rate'}
    #: bytes of decays ``cache_decays='auto'`` keeps for one input size
    decay_cache_budget: int = 512 * 2**20
    _fusions = ('mean', 'sum', 'concat')
    _resizes = ('bilinear', 'bicubic', 'zero_pad')
    _default_stem_names = {3: 'opt', 1: 'sar'}

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 in_channels: Union[int, Dict[str, int]] = 3,
                 img_size: Union[int, Sequence[int]] = 224,
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 use_sce: bool = True,
                 fve_resize: str = 'bilinear',
                 modality_fusion: str = 'mean',
                 drop_path_rate: Optional[float] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 min_size: int = 32,
                 check_finite: bool = True,
                 cache_decays: Union[bool, str] = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 pretrained: Optional[str] = None) -> None:
        if pretrained is not None:  # mmseg's EncoderDecoder passes this
            if init_cfg is not None:
                raise ValueError('Set either init_cfg or pretrained, not both')
            warnings.warn('RSvHeat: `pretrained` is deprecated, use '
                          "init_cfg=dict(type='Pretrained', checkpoint=...)")
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self._parse_arch(arch)
        cfg = self.arch_settings
        dims = cfg['embed_dims']
        depths = list(cfg['depths'])
        self.num_stages = len(depths)
        self.num_features = [dims * 2**i for i in range(self.num_stages)]
        self.depths = depths
        self.use_sce = use_sce
        self.img_size = _to_pair(img_size)
        self.min_size = int(min_size)
        self.check_finite = check_finite
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        if cache_decays not in (True, False, 'auto'):
            raise ValueError(f'cache_decays={cache_decays!r}: use True, '
                             f"False or 'auto'")
        self.cache_decays = cache_decays
        if fve_resize not in self._resizes:
            raise ValueError(f'fve_resize={fve_resize!r}: choose one of '
                             f'{self._resizes}')
        self.fve_resize = fve_resize
        if modality_fusion not in self._fusions:
            raise ValueError(f'modality_fusion={modality_fusion!r}: choose '
                             f'one of {self._fusions}')
        self.modality_fusion = modality_fusion

        # stems, one per modality
        self.in_channels = self._parse_in_channels(in_channels)
        self.stems = nn.ModuleDict({
            name: HeatStem(ch, dims)
            for name, ch in self.in_channels.items()
        })

        # per-stage FVE / SCE at the stored (pretraining) size
        self.stored_sizes = list(stage_sizes(*self.img_size, self.num_stages))
        self.fve = nn.ParameterList([
            nn.Parameter(torch.zeros(h, w, c))
            for (h, w), c in zip(self.stored_sizes, self.num_features)
        ])
        if use_sce:
            self.sce = nn.ParameterList([
                nn.Parameter(torch.zeros(h, w, c))
                for (h, w), c in zip(self.stored_sizes, self.num_features)
            ])
        else:
            self.sce = None

        dpr_max = cfg['drop_path_rate'] if drop_path_rate is None \
            else drop_path_rate
        dpr = torch.linspace(0, dpr_max, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i, depth in enumerate(depths):
            c = self.num_features[i]
            blocks = [
                HeatBlock(c, drop_path=dpr[sum(depths[:i]) + j],
                          post_norm=cfg['post_norm'],
                          layer_scale=cfg['layer_scale'],
                          mlp_ratio=cfg['mlp_ratio'], use_sce=use_sce,
                          with_cp=with_cp) for j in range(depth)
            ]
            self.stages.append(HeatStage(blocks))
            if i < self.num_stages - 1:
                self.downsamples.append(
                    Downsample(c, self.num_features[i + 1]))

        self.out_indices = self._parse_out_indices(out_indices)
        for i in self.out_indices:
            self.add_module(f'norm{i}', nn.LayerNorm(self.num_features[i]))
        mult = 2 if (modality_fusion == 'concat'
                     and len(self.in_channels) > 1) else 1
        #: channels of every returned map (for neck ``in_channels``)
        self.out_channels = [self.num_features[i] * mult
                             for i in self.out_indices]

        self._embed_cache: Dict[tuple, Tensor] = {}
        self._deploy_size: Optional[SizeT] = None
        self._reset_parameters()
        self._register_load_state_dict_pre_hook(self._adapt_state_dict)
        self._freeze_stages()

    # ---------------------------------------------------------- arguments
    def _parse_arch(self, arch: Union[str, dict]) -> dict:
        if isinstance(arch, str):
            key = arch.lower()
            if key not in self.arch_zoo:
                raise ValueError(
                    f'Unknown arch {arch!r}: choose one of '
                    f'{sorted(set(self.arch_zoo))} or pass a dict with keys '
                    f'{sorted(self._arch_required)} (optional: '
                    f'{sorted(self._arch_optional)}).')
            cfg = deepcopy(self.arch_zoo[key])
        elif isinstance(arch, dict):
            missing = self._arch_required - set(arch)
            unknown = set(arch) - self._arch_required - self._arch_optional
            if missing or unknown:
                raise ValueError(
                    f'Custom arch dict: missing keys {sorted(missing)}, '
                    f'unknown keys {sorted(unknown)}; required '
                    f'{sorted(self._arch_required)}, optional '
                    f'{sorted(self._arch_optional)}.')
            depths = arch['depths']
            if (not isinstance(arch['embed_dims'], int)
                    or arch['embed_dims'] < 2 or arch['embed_dims'] % 2
                    or not isinstance(depths, (list, tuple)) or not depths
                    or not all(isinstance(d, int) and d >= 1
                               for d in depths)):
                raise ValueError(
                    'Custom arch: embed_dims must be an even int >= 2 and '
                    f'depths a non-empty list of ints >= 1; got {arch!r}.')
            cfg = dict(post_norm=False, layer_scale=None, drop_path_rate=0.)
            cfg.update(deepcopy(arch))
        else:
            raise TypeError(f'arch must be a str or dict, got {type(arch)}')
        cfg.setdefault('mlp_ratio', 4.)
        return cfg

    def _parse_in_channels(self, in_channels) -> Dict[str, int]:
        if isinstance(in_channels, int):
            if in_channels < 1:
                raise ValueError(f'in_channels must be >= 1, got '
                                 f'{in_channels}')
            name = self._default_stem_names.get(in_channels, 'ms')
            return {name: in_channels}
        if isinstance(in_channels, dict) and in_channels and all(
                isinstance(k, str) and isinstance(v, int) and v >= 1
                for k, v in in_channels.items()):
            return dict(in_channels)
        raise ValueError(
            f'in_channels must be an int or a dict {{modality: channels}} '
            f'such as dict(opt=3, sar=1), got {in_channels!r}')

    def _parse_out_indices(self, out_indices) -> Tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        result = []
        for i in out_indices:
            j = i + self.num_stages if i < 0 else i
            if not 0 <= j < self.num_stages:
                raise ValueError(f'out_indices {tuple(out_indices)}: index '
                                 f'{i} is out of range for '
                                 f'{self.num_stages} stages')
            result.append(j)
        return tuple(result)

    # ---------------------------------------------------------- init
    def _reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for p in self.fve:
            nn.init.trunc_normal_(p, std=.02)
        for p in (self.sce if self.sce is not None else []):
            nn.init.trunc_normal_(p, std=.02)

    def init_weights(self) -> None:
        """Load ``init_cfg=dict(type='Pretrained', ...)`` strictly.

        Official vHeat / RS-vHeat checkpoints are converted on the fly and
        FVE/SCE resized; any shape mismatch raises (listing the keys).
        Other ``init_cfg`` types go to mmengine.
        """
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            from .checkpoint import load_pretrained
            load_pretrained(self, cfg['checkpoint'],
                            prefix=cfg.get('prefix'),
                            map_location=cfg.get('map_location', 'cpu'))
            self._is_init = True
            return
        super().init_weights()

    def _adapt_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Load hook: resize stored FVE/SCE of another size to ours."""
        for name, params in (('fve', self.fve), ('sce', self.sce)):
            if params is None:
                continue
            for i, p in enumerate(params):
                key = f'{prefix}{name}.{i}'
                v = state_dict.get(key)
                if (isinstance(v, Tensor) and v.ndim == 3
                        and v.shape[2] == p.shape[2]
                        and v.shape[:2] != p.shape[:2]):
                    mode = self.fve_resize if name == 'fve' else 'bilinear'
                    state_dict[key] = resize_embedding(v, p.shape[:2], mode)

    # ---------------------------------------------------------- freezing
    def _frozen_modules(self) -> List[nn.Module]:
        mods: List[nn.Module] = []
        if self.frozen_stages >= 0:
            mods.append(self.stems)
        for i in range(min(self.frozen_stages, self.num_stages)):
            mods.append(self.stages[i])
            if i < len(self.downsamples):
                mods.append(self.downsamples[i])
            if hasattr(self, f'norm{i}'):
                mods.append(getattr(self, f'norm{i}'))
        return mods

    def _freeze_stages(self) -> None:
        for m in self._frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad = False
        for i in range(min(self.frozen_stages, self.num_stages)):
            self.fve[i].requires_grad = False
            if self.sce is not None:
                self.sce[i].requires_grad = False

    def train(self, mode: bool = True) -> 'RSvHeat':
        super().train(mode)
        self._freeze_stages()
        if mode:
            self._embed_cache.clear()
            self.switch_to_deploy(None)
            if self.norm_eval:
                for m in self.modules():
                    if isinstance(m, (nn.LayerNorm, nn.GroupNorm,
                                      nn.modules.batchnorm._BatchNorm)):
                        m.eval()
        return self

    # ---------------------------------------------------------- deploy
    def switch_to_deploy(self, img_size: Union[None, int,
                                               Sequence[int]]) -> None:
        """Precompute every block's decay for inputs of ``img_size``.

        The decays become non-persistent buffers (never saved); inputs of
        other sizes still work (computed on the fly). ``train()`` or
        ``switch_to_deploy(None)`` undoes it. Where :meth:`keeps_decays`
        is False for the size (``cache_decays=False``, or ``'auto'`` over
        the budget) nothing is precomputed (lean mode keeps no decays); the
        model is only put in eval mode and the size recorded.
        """
        for stage in self.stages:
            for block in stage.blocks:
                block.op._buffers.pop('deploy_decay', None)
        self._deploy_size = None
        if img_size is None:
            return
        h, w = _to_pair(img_size)
        self.eval()
        sizes = self.feature_sizes(h, w)
        if not self.keeps_decays(h, w):
            self._deploy_size = (h, w)
            return
        with torch.no_grad():
            for i, stage in enumerate(self.stages):
                fve = self._stage_embedding('fve', i, sizes[i])
                for block in stage.blocks:
                    block.op.register_buffer(
                        'deploy_decay', block.op.compute_decay(fve),
                        persistent=False)
        self._deploy_size = (h, w)

    @property
    def deploy(self) -> bool:
        return self._deploy_size is not None

    def keeps_decays(self, height: int, width: int) -> bool:
        """Whether decays and resized embeddings are kept for inputs of
        ``height x width`` px (see ``cache_decays``)."""
        if self.cache_decays != 'auto':
            return bool(self.cache_decays)
        sizes = self.feature_sizes(height, width)
        floats = sum(d * h * w * c for d, (h, w), c in zip(
            self.depths, sizes, self.num_features))
        elem = max(self.fve[0].element_size(), 4)  # decays are >= fp32
        return floats * elem <= self.decay_cache_budget

    # ---------------------------------------------------------- forward
    def feature_sizes(self, height: int, width: int) -> List[SizeT]:
        """(H, W) of every stage's feature map for an input size."""
        return list(stage_sizes(height, width, self.num_stages))

    def _cached(self, key: tuple, params: Sequence[Tensor], fn):
        """Return ``fn()``, cached under ``key`` when no gradient is needed.

        The key holds the parameters' version counters, so an optimizer step
        or a checkpoint load (both in-place) invalidates the entry. At most
        one entry per (name, stage, size, dtype, device) is kept.
        """
        if torch.is_grad_enabled() and any(p.requires_grad for p in params):
            return fn()
        full = key + tuple(p._version for p in params)
        out = self._embed_cache.get(full)
        if out is None:
            n = len(key)
            self._embed_cache = {
                k: v
                for k, v in self._embed_cache.items() if k[:n] != key
            }
            with torch.no_grad():
                out = fn()
            self._embed_cache[full] = out
        return out

    def _stage_embedding(self, name: str, i: int, size: SizeT,
                         cache: bool = True) -> Tensor:
        """FVE or SCE of stage ``i`` resized to ``size`` (cached when safe
        and ``cache``)."""
        param = (self.fve if name == 'fve' else self.sce)[i]
        mode = self.fve_resize if name == 'fve' else 'bilinear'
        if not cache:
            return resize_embedding(param, size, mode)
        return self._cached((name, i, size, param.dtype, param.device),
                            [param],
                            lambda: resize_embedding(param, size, mode))

    def _stage_decays(self, i: int, size: SizeT) -> List[Tensor]:
        """Decay of every block of stage ``i`` for a feature ``size``.

        Deploy buffers when they match the size; else computed once per
        forward (cached per size when no gradient is needed).
        """
        blocks = self.stages[i].blocks
        deployed = [getattr(b.op, 'deploy_decay', None) for b in blocks]
        if all(d is not None and tuple(d.shape[:2]) == tuple(size)
               for d in deployed):
            return deployed
        fve = self.fve[i]
        params = [fve] + [p for b in blocks for p in b.op.to_k.parameters()]

        def compute():
            emb = self._stage_embedding('fve', i, size)
            return [b.op.compute_decay(emb) for b in blocks]

        return self._cached(('decay', i, size, fve.dtype, fve.device),
                            params, compute)

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError(
                'RSvHeat expects a 4-D tensor [B, C, H, W], got '
                f'{getattr(x, "shape", type(x))}')
        h, w = x.shape[-2:]
        if min(h, w) < self.min_size:
            raise ValueError(
                f'Input of {h}x{w} px is below RSvHeat\'s minimum of '
                f'{self.min_size} px per side (total stride 32). Resize or '
                f'pad the image (e.g. pad_size_divisor=32 in the data '
                f'preprocessor), or lower min_size.')
        if self.check_finite and not torch.isfinite(x).all():
            raise ValueError(
                'RSvHeat input contains NaN or Inf values. Check the image '
                'file and the normalisation (mean/std, SAR log scaling); '
                'replace invalid pixels (e.g. nan_to_num) before the model.')

    def _select_stem(self, x: Tensor, modality: Optional[str]):
        """Return [(stem name, channel slice)] for this input."""
        c = x.shape[1]
        names = list(self.in_channels)
        if modality is not None:
            if modality not in self.in_channels:
                raise ValueError(f'Unknown modality {modality!r}: this '
                                 f'model has stems {names}')
            if c != self.in_channels[modality]:
                raise ValueError(
                    f'The {modality!r} stem takes '
                    f'{self.in_channels[modality]} channels but the input '
                    f'has {c}. Pass the right modality or set in_channels.')
            return [(modality, slice(0, c))]
        matches = [n for n in names if self.in_channels[n] == c]
        if len(matches) == 1:
            return [(matches[0], slice(0, c))]
        total = sum(self.in_channels.values())
        if len(names) > 1 and c == total:
            parts, start = [], 0
            for n in names:
                parts.append((n, slice(start, start + self.in_channels[n])))
                start += self.in_channels[n]
            return parts
        expect = ' or '.join(
            [f'{v} ({k})' for k, v in self.in_channels.items()] +
            ([f'{total} (all modalities concatenated in the order '
              f'{names})'] if len(names) > 1 else []))
        raise ValueError(
            f'RSvHeat got an input with {c} channels but expects {expect}. '
            f'Set in_channels={c} (or a dict of modalities) in the backbone '
            f'config, or fix the data pipeline (e.g. color_type, '
            f'to_rgb, the number of bands read).')

    def forward(self, x: Tensor,
                modality: Optional[str] = None) -> Tuple[Tensor, ...]:
        """Features of the stages in ``out_indices``.

        Args:
            x: Images [B, C, H, W]; any H, W >= ``min_size``.
            modality: Stem to use. None picks the only stem, the stem whose
                channel count matches, or -- for an input holding every
                modality concatenated along channels -- all stems, fused by
                ``modality_fusion``.

        Returns:
            Tuple of [B, C_i, ceil(H / 2^(i+2)), ceil(W / 2^(i+2))] maps.
        """
        self._check_input(x)
        in_size = tuple(x.shape[-2:])
        parts = self._select_stem(x, modality)
        # channels-last storage from the stem on: the per-channel LayerNorms,
        # the Linear layers and the spectral path then see contiguous
        # [B, H, W, C] views (no transposed copies), and depthwise convs run
        # their fast kernels
        x = torch.cat([
            self.stems[n](x[:, s].contiguous(
                memory_format=torch.channels_last)) for n, s in parts
        ], dim=0)
        keep = self.keeps_decays(*in_size)
        x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for i, stage in enumerate(self.stages):
            size = tuple(x.shape[-2:])
            sce = None
            if self.sce is not None:
                sce = self._stage_embedding('sce', i, size, keep).permute(
                    2, 0, 1)
            if keep:
                x = stage(x, self._stage_decays(i, size), sce)
            else:  # lean: each block makes (and frees) its own decay
                x = stage(x, None, sce,
                          self._stage_embedding('fve', i, size, False))
            del sce
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x.permute(0, 2, 3, 1))
                outs.append(self._fuse(out.permute(0, 3, 1, 2).contiguous(),
                                       len(parts)))
            if i < len(self.downsamples):
                x = self.downsamples[i](x)
        return tuple(outs)

    def _fuse(self, x: Tensor, n: int) -> Tensor:
        if n == 1:
            return x
        chunks = x.chunk(n, dim=0)
        if self.modality_fusion == 'concat':
            return torch.cat(chunks, dim=1)
        out = torch.stack(chunks, 0).sum(0)
        return out / n if self.modality_fusion == 'mean' else out

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer id for layer-wise LR decay (mmpretrain convention).

        Stems are layer 0, block ``j`` of stage ``i`` is
        ``1 + sum(depths[:i]) + j`` (FVE/SCE/downsample of a stage share its
        first block's id), output norms are the last layer.
        """
        num_layers = sum(self.depths) + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        parts = name.split('.')
        if parts[0] == 'stems':
            layer = 0
        elif parts[0] == 'stages':
            i, j = int(parts[1]), int(parts[3])
            layer = 1 + sum(self.depths[:i]) + j
        elif parts[0] in ('fve', 'sce', 'downsamples'):
            i = int(parts[1]) + (1 if parts[0] == 'downsamples' else 0)
            layer = 1 + sum(self.depths[:i])
        else:
            layer = num_layers - 1
        return layer, num_layers
