"""RS-vHeat: heat-conduction backbone for remote-sensing images.

Papers:
    Hu et al., "RS-vHeat: Heat Conduction Guided Efficient Remote Sensing
    Foundation Model", ICCV 2025 (arXiv 2411.17984).
    Wang et al., "Building Vision Models upon Heat Conduction", CVPR 2025
    (arXiv 2405.16555).

This file tells the model top-down:

* :class:`HeatConduction` -- the HCO layer: optional Spatial Correction
  Embedding (SCE) ``LN(ReLU(x + SCE))``, DWConv, Linear C->2C split into a
  signal ``u`` and a gate ``z``, ``IDCT2(DCT2(u) * exp(-K w^2))``, LayerNorm,
  ``u * SiLU(z)``, Linear.
* :class:`HeatBlock` -- pre- or post-norm residual block of HCO and FFN with
  optional layer scale and drop path; :class:`HeatStage` -- a stage of them.
* :class:`RSvHeat` -- stems per modality, four stages at strides 4/8/16/32
  whose blocks share one Frequency Value Embedding (FVE) and one SCE per
  stage, downsampling convs, and a LayerNorm per dense output.

Generic layers are in :mod:`rsvheat_mm.models.layers`, the math in
:mod:`rsvheat_mm.models.utils.heat_math`, the conversion of official
checkpoints in :mod:`rsvheat_mm.models.utils.ckpt_convert`; design notes in
``docs/method.md``.

Code of the public releases (MzeroMiko/vHeat, iecashhy/RS-vHeat) was read
to learn the layout; this is an independent implementation.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import ALL_HOSTS, MODELS, register
from ..layers import FFN, GatedLinear, LayerNorm2d, apply_fused, drop_path
from ..utils.embed import EMBED_RESIZE_MODES, resize_embedding
from ..utils.heat_math import decay_map, heat_transform, stage_sizes
from ..utils.param_cache import cached_on_params
from ..utils.precision import at_least_fp32
from .rsvheat_args import (check_choice, check_drop_path_rate, check_input,
                           check_output, parse_arch, parse_in_channels,
                           parse_out_indices, pretrained_to_init_cfg,
                           select_stems, to_pair)

# LayerNorm2d, FFN and resize_embedding are re-exported from here for the
# code that imported them from this module before they moved.
__all__ = ['RSvHeat', 'HeatBlock', 'HeatConduction', 'LayerNorm2d']

SizeT = Tuple[int, int]


class HeatStem(nn.Module):
    """Stride-4 stem: Conv s2 -> LN -> GELU -> Conv s2 -> LN.

    Args:
        in_channels: Input channels of the modality.
        embed_dims: Output channels C.
    """

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
    """Conv 3x3 s2 (no bias) -> LN, between stages.

    Args:
        in_dims: Input channels.
        out_dims: Output channels.
    """

    def __init__(self, in_dims: int, out_dims: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_dims, out_dims, 3, 2, 1, bias=False)
        self.norm = LayerNorm2d(out_dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.conv(x))


class HeatConduction(nn.Module):
    """The HCO layer (vHeat "Heat2D") with RS-vHeat's structure correction.

    The layer owns its deploy state: :meth:`cache_decay` keeps the decay of
    one feature size as the non-persistent buffer ``deploy_decay`` (never in
    a state dict; it follows ``.to()`` / ``.half()``), :meth:`cached_decay`
    returns it for that size and :meth:`clear_decay_cache` drops it.

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
        self.register_buffer('deploy_decay', None, persistent=False)

    def k_parameters(self) -> List[nn.Parameter]:
        """The parameters the decay depends on, besides the FVE (``to_k``)."""
        return list(self.to_k.parameters())

    def compute_decay(self, fve: Tensor) -> Tensor:
        """Decay ``exp(-ReLU(to_k(FVE)) * w^2)`` in at least float32.

        Batch-independent: computed once per forward (or once per size in
        eval / deploy), never per sample.

        Args:
            fve: The stage's FVE resized to the feature size, [H, W, C].

        Returns:
            Decay [H, W, C] in (0, 1].
        """
        dtype = at_least_fp32(self.to_k.weight.dtype)
        with torch.autocast(fve.device.type, enabled=False):
            k = F.relu(F.linear(fve.to(dtype), self.to_k.weight.to(dtype),
                                self.to_k.bias.to(dtype)))
            return decay_map(k)

    @torch.no_grad()
    def cache_decay(self, fve: Tensor) -> None:
        """Keep the decay for the resized FVE [H, W, C] (deploy mode)."""
        self.deploy_decay = self.compute_decay(fve)

    def cached_decay(self, size: SizeT) -> Optional[Tensor]:
        """The kept decay if it is for feature ``size`` (H, W), else None."""
        d = self.deploy_decay
        if d is not None and tuple(d.shape[:2]) == tuple(size):
            return d
        return None

    def clear_decay_cache(self) -> None:
        """Drop the decay kept by :meth:`cache_decay` (if any)."""
        self.deploy_decay = None

    def forward(self, x: Tensor, decay: Tensor,
                sce: Optional[Tensor] = None) -> Tensor:
        """Apply the HCO.

        Without autograd (inference) the element-wise steps run in place on
        tensors this method created and intermediates are released as soon
        as they are used, so fewer feature-map-sized buffers coexist.

        Args:
            x: Map [B, C, H, W].
            decay: Decay [H, W, C] (:meth:`compute_decay`).
            sce: The stage's SCE resized to the map, [C, H, W]; needed when
                ``use_sce``. Defaults to None.

        Returns:
            Map [B, C, H, W].
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
        dtype = at_least_fp32(u.dtype)
        with torch.autocast(device, enabled=False):
            u = heat_transform(u.to(dtype), decay.to(dtype))
        u = self.out_norm(u)
        if inplace:
            u = u.mul_(F.silu(z, inplace=True).to(u.dtype))
            del z
            return self.out_linear(u).permute(0, 3, 1, 2)
        # autograd: gate and output Linear in one function that keeps two
        # maps (u, z) for the backward pass instead of four
        out = apply_fused(GatedLinear, [u, z], self.out_linear.weight,
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
        """Apply the block.

        Args:
            x: Map [B, C, H, W].
            decay: Decay [H, W, C], or None to compute it from ``fve``
                inside the block (and, with ``with_cp``, again in the
                backward pass instead of keeping it).
            sce: The stage's resized SCE [C, H, W]. Defaults to None.
            fve: The stage's resized FVE [H, W, C], used when ``decay`` is
                None. Defaults to None.

        Returns:
            Map [B, C, H, W].
        """
        if decay is None and fve is None:
            raise ValueError('HeatBlock needs a decay or the FVE to make it')
        if self.with_cp and torch.is_grad_enabled() and x.requires_grad:
            return cp.checkpoint(self._forward, x, decay, sce, fve,
                                 use_reentrant=False)
        return self._forward(x, decay, sce, fve)


class HeatStage(nn.Module):
    """A stage: blocks sharing the stage's FVE and SCE.

    Args:
        blocks: The stage's blocks, in order.
    """

    def __init__(self, blocks: List[HeatBlock]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor, decays: Optional[Sequence[Tensor]],
                sce: Optional[Tensor],
                fve: Optional[Tensor] = None) -> Tensor:
        """Apply the blocks to a [B, C, H, W] map.

        Args:
            decays: One decay per block, or None to let every block compute
                its own from ``fve`` (lean mode).
            sce, fve: As in :meth:`HeatBlock.forward`; ``fve`` defaults to
                None.
        """
        if decays is None:
            decays = [None] * len(self.blocks)
        for block, decay in zip(self.blocks, decays):
            x = block(x, decay, sce, fve)
        return x


@register(MODELS, hosts=ALL_HOSTS)
class RSvHeat(BaseModule):
    """RS-vHeat backbone (vHeat with Spatial Correction Embeddings).

    A drop-in dense backbone for mmdet, mmseg, mmrotate and mmpretrain:
    ``backbone=dict(type='RSvHeat', arch='base', ...)``.

    Args:
        arch: ``'tiny'``, ``'small'``, ``'base'`` (or ``'t'``, ``'s'``,
            ``'b'``) or a dict with keys ``embed_dims`` (int) and ``depths``
            (list of ints, one per stage) and optionally ``post_norm``
            (bool, default False), ``layer_scale`` (float or None, default
            None), ``mlp_ratio`` (float, default 4) and ``drop_path_rate``
            (float, default 0). Defaults to ``'tiny'``.
        in_channels: Input channels of a single stem (3 optical, 1 SAR, N
            multispectral), or a dict ``{modality: channels}`` building one
            stem per modality in front of one shared encoder, e.g.
            ``dict(opt=3, sar=1)``. An int names its stem ``'opt'`` (3),
            ``'sar'`` (1) or ``'ms'`` (other). Defaults to 3.
        img_size: Pretraining size (positive int or (H, W)); it fixes the
            stored size of every FVE and SCE (``ceil(img/4) / 2^i``). Any
            input size works at run time. Defaults to 224.
        out_indices: Stages whose (pre-downsample) features are returned,
            each through its own LayerNorm ``norm{i}``, in stage order.
            Negative indices count from the end; after resolving them the
            indices must be strictly increasing (an unsorted or repeated
            sequence raises, as ``out_channels`` follows ``out_indices``).
            Defaults to (0, 1, 2, 3).
        use_sce: Spatial Correction Embeddings (RS-vHeat). False gives plain
            vHeat. Defaults to True.
        fve_resize: How FVE is resized to a feature size different from the
            stored one: ``'bilinear'``, ``'bicubic'`` (vHeat's runtime
            resize) or ``'zero_pad'`` (vHeat's downstream script). The SCE
            is always resized bilinearly, like a position embedding.
            Defaults to ``'bilinear'``.
        modality_fusion: How a multi-stem model combines modalities when one
            input carries all of them concatenated along channels (in the
            order of ``in_channels``): ``'mean'``, ``'sum'`` or
            ``'concat'`` (doubles the output channels). The modalities run
            through the shared encoder as one batch. Defaults to ``'mean'``.
        drop_path_rate: Stochastic depth, linearly increased over blocks;
            in [0, 1). None takes the arch value (0.1 / 0.3 / 0.5 for tiny /
            small / base). Defaults to None.
        frozen_stages: -1 freezes nothing; 0 freezes the stems; k >= 1 also
            freezes stages 0..k-1 with their FVE, SCE, following downsample
            and output norms. Defaults to -1.
        norm_eval: Keep every norm layer in eval mode during training.
            Defaults to False.
        with_cp: Gradient checkpointing in every block. Defaults to False.
        min_size: Smallest accepted input side, in pixels. Defaults to 32.
        check_finite: Raise on NaN/Inf inputs, and on NaN/Inf features of
            a finite input (overflow, e.g. an unnormalised input of 1e30).
            Skipped while tracing or under ``torch.compile`` (the check is
            data-dependent). Defaults to True.
        cache_decays: True keeps the size-dependent tensors -- every block's
            decay ``exp(-k w^2)`` and the resized FVE / SCE -- between
            forwards when no gradient is needed, and precomputes them in
            :meth:`switch_to_deploy`: fastest for repeated inputs of one
            size. False (lean mode) keeps none of them: each block computes
            its decay in its own forward and frees it (with ``with_cp``,
            recomputes it in the backward pass), saving
            ``sum_i depth_i * H_i * W_i * C_i`` floats for one extra
            ``C x C`` GEMM per block and forward. ``'auto'`` keeps them for
            an input size while they take at most :attr:`decay_cache_budget`
            bytes, lean above. Outputs are identical in all three; figures
            in ``docs/benchmarks.md``. Defaults to ``'auto'``.
        init_cfg: ``dict(type='Pretrained', checkpoint=..., prefix=...,
            strict=True)`` loads (and converts, and resizes) a checkpoint of
            this plugin or of the official vHeat / RS-vHeat releases. Shape
            mismatches always raise; missing or unexpected backbone keys
            raise too (listing them) except the documented new parts
            (see :func:`~rsvheat_mm.models.utils.ckpt_convert.load_pretrained`:
            the output norms, the stem of a modality the checkpoint lacks,
            the SCE of a plain-vHeat checkpoint); ``strict=False`` loads the
            matching keys and only warns. Defaults to None (trunc-normal
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
    _resizes = EMBED_RESIZE_MODES
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
        super().__init__(init_cfg=pretrained_to_init_cfg(pretrained, init_cfg))
        self.arch_settings = parse_arch(arch, self.arch_zoo,
                                        self._arch_required,
                                        self._arch_optional)
        cfg = self.arch_settings
        dims = cfg['embed_dims']
        depths = list(cfg['depths'])
        self.num_stages = len(depths)
        self.num_features = [dims * 2**i for i in range(self.num_stages)]
        self.depths = depths
        self.use_sce = use_sce
        self.img_size = to_pair(img_size)
        self.min_size = int(min_size)
        self.check_finite = check_finite
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        if cache_decays not in (True, False, 'auto'):
            raise ValueError(f'cache_decays={cache_decays!r}: use True, '
                             f"False or 'auto'")
        self.cache_decays = cache_decays
        self.fve_resize = check_choice('fve_resize', fve_resize,
                                       self._resizes)
        self.modality_fusion = check_choice('modality_fusion',
                                            modality_fusion, self._fusions)

        # stems, one per modality
        self.in_channels = parse_in_channels(in_channels,
                                             self._default_stem_names)
        self.stems = nn.ModuleDict({
            name: HeatStem(ch, dims)
            for name, ch in self.in_channels.items()
        })

        # per-stage FVE / SCE at the stored (pretraining) size
        self.stored_sizes = list(stage_sizes(*self.img_size, self.num_stages))
        def embeddings() -> nn.ParameterList:
            return nn.ParameterList([
                nn.Parameter(torch.zeros(h, w, c))
                for (h, w), c in zip(self.stored_sizes, self.num_features)
            ])

        self.fve = embeddings()
        self.sce = embeddings() if use_sce else None

        dpr_max = check_drop_path_rate(
            cfg['drop_path_rate'] if drop_path_rate is None
            else drop_path_rate)
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

        self.out_indices = parse_out_indices(out_indices, self.num_stages)
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
        self._freeze_stages()

    # ---------------------------------------------------------- weights
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
        FVE/SCE resized; any shape mismatch raises (listing the keys), and
        so do missing or unexpected backbone keys unless ``init_cfg`` has
        ``strict=False`` (default True; see
        :func:`~rsvheat_mm.models.utils.ckpt_convert.load_pretrained`).
        Other ``init_cfg`` types go to mmengine.
        """
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            from ..utils.ckpt_convert import load_pretrained
            load_pretrained(self, cfg['checkpoint'],
                            prefix=cfg.get('prefix'),
                            map_location=cfg.get('map_location', 'cpu'),
                            strict=cfg.get('strict', True))
            self._is_init = True
            return
        super().init_weights()

    def adapt_state_dict(self, state_dict: Dict[str, Tensor],
                         prefix: str = '') -> None:
        """Resize FVE / SCE stored at another size to this model's, in place.

        Runs on every ``load_state_dict``, so a checkpoint pretrained at
        another ``img_size`` loads; the FVE is resized with ``fve_resize``,
        the SCE bilinearly.

        Args:
            state_dict: State dict to edit (this model's layout).
            prefix: Prefix of this model's keys in ``state_dict``.
                Defaults to ``''``.
        """
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

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        self.adapt_state_dict(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

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
        """Set train / eval mode; entering train mode also empties the
        per-size caches and leaves deploy mode."""
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

    # ---------------------------------------------------------- decays
    def switch_to_deploy(self, img_size: Union[None, int,
                                               Sequence[int]]) -> None:
        """Precompute every block's decay for inputs of ``img_size``.

        Each :class:`HeatConduction` keeps its decay (never saved); inputs
        of other sizes still work (computed on the fly). ``train()`` or
        ``switch_to_deploy(None)`` undoes it. Where :meth:`keeps_decays`
        is False for the size (``cache_decays=False``, or ``'auto'`` over
        the budget) nothing is precomputed (lean mode keeps no decays); the
        model is only put in eval mode and the size recorded.

        Args:
            img_size: Input size (int or (H, W)), or None to leave deploy
                mode.
        """
        for stage in self.stages:
            for block in stage.blocks:
                block.op.clear_decay_cache()
        self._deploy_size = None
        if img_size is None:
            return
        h, w = to_pair(img_size)
        self.eval()
        if self.keeps_decays(h, w):
            with torch.no_grad():
                for i, size in enumerate(self.feature_sizes(h, w)):
                    fve = self._stage_embedding('fve', i, size)
                    for block in self.stages[i].blocks:
                        block.op.cache_decay(fve)
        self._deploy_size = (h, w)

    @property
    def deploy(self) -> bool:
        """Whether :meth:`switch_to_deploy` recorded an input size."""
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

    def feature_sizes(self, height: int, width: int) -> List[SizeT]:
        """(H, W) of every stage's feature map for an input size."""
        return list(stage_sizes(height, width, self.num_stages))

    def _stage_embedding(self, name: str, i: int, size: SizeT,
                         cache: bool = True) -> Tensor:
        """FVE or SCE of stage ``i`` resized to ``size`` (cached when safe
        and ``cache``)."""
        param = (self.fve if name == 'fve' else self.sce)[i]
        mode = self.fve_resize if name == 'fve' else 'bilinear'
        if not cache:
            return resize_embedding(param, size, mode)
        return cached_on_params(self._embed_cache,
                                (name, i, size, param.dtype, param.device),
                                [param],
                                lambda: resize_embedding(param, size, mode))

    def _stage_inputs(
        self, i: int, size: SizeT, keep: bool
    ) -> Tuple[Optional[List[Tensor]], Optional[Tensor], Optional[Tensor]]:
        """``(decays, sce, fve)`` of stage ``i`` for a feature ``size``.

        The decay policy in one place. With ``keep`` (:meth:`keeps_decays`)
        the blocks' deployed decays if they are for ``size``, else decays
        made once per forward and cached per size while no gradient is
        needed (the resized SCE too); ``fve`` is None. Without (lean mode)
        ``decays`` is None and ``fve`` the resized FVE each block makes its
        own decay from. ``sce`` is [C, H, W], None with ``use_sce=False``.
        """
        sce = None
        if self.sce is not None:
            sce = self._stage_embedding('sce', i, size, keep).permute(2, 0, 1)
        if not keep:
            return None, sce, self._stage_embedding('fve', i, size, False)
        blocks = self.stages[i].blocks
        deployed = [b.op.cached_decay(size) for b in blocks]
        if all(d is not None for d in deployed):
            return deployed, sce, None
        fve = self.fve[i]
        params = [fve] + [p for b in blocks for p in b.op.k_parameters()]

        def compute():
            emb = self._stage_embedding('fve', i, size)
            return [b.op.compute_decay(emb) for b in blocks]

        decays = cached_on_params(self._embed_cache,
                                  ('decay', i, size, fve.dtype, fve.device),
                                  params, compute)
        return decays, sce, None

    # ---------------------------------------------------------- forward
    def forward(self, x: Tensor,
                modality: Optional[str] = None) -> Tuple[Tensor, ...]:
        """Features of the stages in ``out_indices``.

        Args:
            x: Images [B, C, H, W], B >= 1, any H, W >= ``min_size``, of the
                weights' floating dtype (any floating dtype under autocast);
                it is never cast silently: an integer (e.g. uint8) or other
                dtype, a channels-last [B, H, W, C] tensor or an empty
                batch raises, naming the fix.
            modality: Stem to use. None picks the only stem, the stem whose
                channel count matches, or -- for an input holding every
                modality concatenated along channels -- all stems, fused by
                ``modality_fusion``. Defaults to None.

        Returns:
            Tuple of [B, C_i, ceil(H / 2^(i+2)), ceil(W / 2^(i+2))] maps.
        """
        check_input(x, self.min_size, self.check_finite, self.in_channels,
                    self.fve[0].dtype)
        x_in = x
        in_size = tuple(x.shape[-2:])
        parts = select_stems(x.shape[1], self.in_channels, modality)
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
            decays, sce, fve = self._stage_inputs(i, tuple(x.shape[-2:]),
                                                  keep)
            x = stage(x, decays, sce, fve)
            del decays, sce, fve
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x.permute(0, 2, 3, 1))
                outs.append(self._fuse(out.permute(0, 3, 1, 2).contiguous(),
                                       len(parts)))
            if i < len(self.downsamples):
                x = self.downsamples[i](x)
        if self.check_finite and not (torch.jit.is_tracing()
                                      or torch.compiler.is_compiling()):
            check_output(outs, x_in)
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

        Args:
            param_name: Name of the parameter.
            prefix: Prefix of the backbone's parameters in ``param_name``,
                e.g. ``'backbone.'``. Defaults to ``''``.

        Returns:
            ``(layer id, number of layers)``.
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
