"""Reconstruction decoder and the three heads of RS-vHeat pretraining.

* :class:`RSvHeatReconDecoder` fuses encoder stages 3 and 4 (strides 16 and
  32), refines, and upsamples to the input size with one output layer per
  modality (3 channels optical, 1 channel SAR, ...).
* :class:`SpatialReconstructionHead` (``L_Spa``),
  :class:`FrequencyReconstructionHead` (``L_Fre``) and
  :class:`CrossModalContrastiveHead` (projector + ``L_Con``).

None of these modules is part of the encoder: their keys (``neck.*``,
``*_head.*``) are dropped when the checkpoint is transferred downstream.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import MODELS, build_module, register
from ..layers import LayerNorm2d

__all__ = ['RSvHeatReconDecoder', 'SpatialReconstructionHead',
           'FrequencyReconstructionHead', 'CrossModalContrastiveHead']


@register(MODELS, hosts=('mmpretrain', ))
class RSvHeatReconDecoder(BaseModule):
    """Decoder fusing encoder stages 3 and 4 and upsampling to the input.

    Stage 4 goes through a 1x1 conv and is upsampled x2 (bilinear) to the
    size of stage 3, which goes through its own 1x1 conv; the two are
    concatenated (``channels`` in total), refined by ``num_convs`` blocks of
    3x3 conv -> LayerNorm -> GELU, and mapped by a per-modality 1x1 conv to
    ``out_channels[m] * upsample**2`` channels followed by a pixel shuffle
    (x``upsample``). If the result is not exactly the input size (input not
    a multiple of 16) it is resized bilinearly.

    Args:
        in_channels: Channels of the two fused encoder outputs (stage 3,
            stage 4), e.g. ``(4C, 8C)``. Defaults to (512, 1024) (base).
        in_index: Positions of those two maps in the backbone's output
            tuple. Defaults to (2, 3) (backbone ``out_indices=(0, 1, 2, 3)``).
        channels: Width after fusion. Defaults to 256.
        num_convs: 3x3 refinement blocks. Defaults to 2.
        out_channels: Output channels per modality.
            Defaults to ``dict(opt=3, sar=1)``.
        upsample: Pixel-shuffle factor (stride of stage 3). Defaults to 16.
        init_cfg: mmengine init config. Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024),
                 in_index: Sequence[int] = (2, 3),
                 channels: int = 256,
                 num_convs: int = 2,
                 out_channels: Optional[Dict[str, int]] = None,
                 upsample: int = 16,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 2 or len(in_index) != 2:
            raise ValueError('RSvHeatReconDecoder fuses exactly two maps '
                             f'(stages 3 and 4); got in_channels='
                             f'{in_channels!r}, in_index={in_index!r}')
        if channels % 2:
            raise ValueError(f'channels must be even, got {channels}')
        out_channels = dict(opt=3, sar=1) if out_channels is None \
            else dict(out_channels)
        self.in_index = tuple(in_index)
        self.upsample = int(upsample)
        self.out_channels = out_channels
        self.lateral3 = nn.Conv2d(in_channels[0], channels // 2, 1)
        self.lateral4 = nn.Conv2d(in_channels[1], channels // 2, 1)
        self.convs = nn.Sequential(*[
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, 1, 1), LayerNorm2d(channels),
                nn.GELU()) for _ in range(num_convs)
        ])
        self.heads = nn.ModuleDict({
            m: nn.Conv2d(channels, c * self.upsample**2, 1)
            for m, c in out_channels.items()
        })

    def forward(self, feats: Sequence[Tensor], modality: str,
                size: Tuple[int, int]) -> Tensor:
        """Reconstruct images of ``modality`` at ``size`` (H, W).

        Args:
            feats: The backbone's output tuple.
            modality: Which output layer to use (a key of ``out_channels``).
            size: Input size to reconstruct.

        Returns:
            [B, out_channels[modality], H, W].
        """
        if modality not in self.heads:
            raise ValueError(f'RSvHeatReconDecoder has no output for '
                             f'modality {modality!r}; it has '
                             f'{list(self.heads)}. Add it to out_channels.')
        f3, f4 = feats[self.in_index[0]], feats[self.in_index[1]]
        x4 = F.interpolate(self.lateral4(f4), size=f3.shape[-2:],
                           mode='bilinear', align_corners=False)
        x = self.convs(torch.cat([self.lateral3(f3), x4], dim=1))
        x = F.pixel_shuffle(self.heads[modality](x), self.upsample)
        if tuple(x.shape[-2:]) != tuple(size):
            x = F.interpolate(x, size=tuple(size), mode='bilinear',
                              align_corners=False)
        return x


class _LossHead(BaseModule):
    """A head that only holds a loss (reconstruction targets are images)."""

    default_loss: dict = {}

    def __init__(self, loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = build_module(loss or dict(self.default_loss))

    def loss(self, pred: Tensor, target: Tensor) -> Tensor:
        """Weighted loss between reconstruction and original image."""
        return self.loss_module(pred, target)


@register(MODELS, hosts=('mmpretrain', ))
class SpatialReconstructionHead(_LossHead):
    """``L_Spa``: L1 between decoder output and the original image.

    Args:
        loss: Loss config. Defaults to ``dict(type='PixelL1Loss',
            loss_weight=1.0)``.
        init_cfg: mmengine init config. Defaults to None.
    """

    default_loss = dict(type='rsvheat_mm.PixelL1Loss', loss_weight=1.0)


@register(MODELS, hosts=('mmpretrain', ))
class FrequencyReconstructionHead(_LossHead):
    """``L_Fre``: L1 between DCT spectra of decoder output and original.

    Args:
        loss: Loss config. Defaults to ``dict(type='FrequencyL1Loss',
            loss_weight=1.0, normalize='relative')``.
        init_cfg: mmengine init config. Defaults to None.
    """

    default_loss = dict(type='rsvheat_mm.FrequencyL1Loss', loss_weight=1.0,
                        normalize='relative')


@register(MODELS, hosts=('mmpretrain', ))
class CrossModalContrastiveHead(BaseModule):
    """``L_Con``: projector on pooled encoder features and contrastive loss.

    ``project`` global-average-pools a feature map [B, C, h, w] and applies
    Linear(C, hidden) -> GELU -> Linear(hidden, out). ``loss`` compares
    projected positive pairs row by row.

    Args:
        in_channels: Channels of the pooled map (stage 4: 8C).
            Defaults to 1024 (base).
        hidden_channels: Projector width. Defaults to 1024.
        out_channels: Embedding size. Defaults to 256.
        loss: Loss config. Defaults to
            ``dict(type='CrossModalContrastiveLoss', mode='infonce',
            temperature=0.1, loss_weight=1.0)``.
        init_cfg: mmengine init config. Defaults to None.
    """

    def __init__(self, in_channels: int = 1024, hidden_channels: int = 1024,
                 out_channels: int = 256, loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.projector = nn.Sequential(
            nn.Linear(in_channels, hidden_channels), nn.GELU(),
            nn.Linear(hidden_channels, out_channels))
        self.loss_module = build_module(loss or dict(
            type='rsvheat_mm.CrossModalContrastiveLoss', mode='infonce',
            temperature=0.1, loss_weight=1.0))

    def project(self, feat: Tensor) -> Tensor:
        """[B, C, h, w] -> [B, out_channels]."""
        return self.projector(feat.mean(dim=(2, 3)))

    def loss(self, a: Tensor, b: Tensor) -> Tensor:
        """Contrastive loss of projected pairs ``a[i] <-> b[i]``."""
        return self.loss_module(a, b)
