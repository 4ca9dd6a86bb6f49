"""Siamese encoder-decoder for bi-temporal change detection in mmseg.

One backbone (shared weights) encodes both dates, a fusion neck merges the two
feature pyramids level by level, and any mmseg decode head (UPerHead, FCNHead
...) predicts the change map. Inputs are the two dates concatenated along
channels (``[A, B]``, 6 channels for RGB), exactly what
:class:`~rsvheat_mm.datasets.transforms.PackMultiImgSegInputs` produces, so
mmseg's data preprocessor, slide inference and metrics work unchanged.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from ...registry import MODELS, register

__all__ = ['SiameseEncoderDecoder']


@register(MODELS, hosts=('mmseg', ))
class SiameseEncoderDecoder(EncoderDecoder):
    """Shared-weight siamese encoder, feature fusion and a decode head.

    Args:
        backbone: Backbone config, applied to each date (e.g. ``RSvHeat``
            with ``in_channels=3``).
        decode_head: mmseg decode head; its ``in_channels`` must be the fused
            channels (:meth:`PyramidFusionNeck.out_channels`).
        fusion_neck: Config of the two-input fusion. Defaults to
            ``dict(type='PyramidFusionNeck', policy='concat')``.
        neck: Optional single-input neck after the fusion (e.g. FPN).
            Defaults to None.
        auxiliary_head: Defaults to None.
        img_channels: Channels of date A in the input; date B takes the
            rest and must have as many. Defaults to None (half the input).
        train_cfg, test_cfg, data_preprocessor, pretrained, init_cfg: as in
            mmseg's ``EncoderDecoder``; ``test_cfg=dict(mode='slide',
            crop_size=..., stride=...)`` slides over large scenes.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 fusion_neck: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 auxiliary_head: Optional[dict] = None,
                 img_channels: Optional[int] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # plain dicts (built outside a Config) behave like ConfigDicts
        train_cfg = ConfigDict(train_cfg) if train_cfg else train_cfg
        test_cfg = ConfigDict(test_cfg) if test_cfg else test_cfg
        super().__init__(backbone=backbone, decode_head=decode_head,
                         neck=neck, auxiliary_head=auxiliary_head,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor,
                         pretrained=pretrained, init_cfg=init_cfg)
        if fusion_neck is None:
            fusion_neck = dict(type='PyramidFusionNeck', policy='concat')
        self.fusion_neck: nn.Module = SEG_MODELS.build(fusion_neck)
        self.img_channels = img_channels

    def split_dates(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Split ``[B, C_A + C_B, H, W]`` into the two dates."""
        c = inputs.shape[1]
        ca = self.img_channels if self.img_channels else c // 2
        if 2 * ca != c:
            raise ValueError(
                f'SiameseEncoderDecoder got {c} input channels; it expects '
                f'two dates of equal channels concatenated ([A, B], e.g. 6 '
                f'for RGB pairs; img_channels={self.img_channels}). Use '
                f'LoadMultiImageFromFiles + PackMultiImgSegInputs.')
        return inputs[:, :ca], inputs[:, ca:]

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Encode both dates as one batch, fuse, then the optional neck."""
        a, b = self.split_dates(inputs)
        n = inputs.shape[0]
        feats = self.backbone(torch.cat([a, b], dim=0))
        x = self.fusion_neck([f[:n] for f in feats], [f[n:] for f in feats])
        if self.with_neck:
            x = self.neck(x)
        return list(x)
