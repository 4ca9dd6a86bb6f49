"""Fusion of two feature pyramids (bi-temporal change detection)."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import MODELS, register

__all__ = ['PyramidFusionNeck']


@register(MODELS, hosts=('mmseg', ))
class PyramidFusionNeck(BaseModule):
    """Fuse two feature pyramids (date A, date B) level by level.

    Args:
        policy: ``'concat'`` ([A, B], doubles the channels), ``'sum'``
            (A + B), ``'diff'`` (B - A), ``'abs_diff'`` (|A - B|) or
            ``'concat_abs_diff'`` ([A, B, |A - B|], triples the channels).
            Defaults to ``'concat'``.
        init_cfg: Defaults to None (no parameters).
    """
    policies = {'concat': 2, 'sum': 1, 'diff': 1, 'abs_diff': 1,
                'concat_abs_diff': 3}

    def __init__(self, policy: str = 'concat',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if policy not in self.policies:
            raise ValueError(f'policy={policy!r}: choose one of '
                             f'{sorted(self.policies)}')
        self.policy = policy

    @classmethod
    def out_channels(cls, in_channels: Sequence[int],
                     policy: str) -> List[int]:
        """Channels of the fused maps for backbone channels ``in_channels``."""
        return [c * cls.policies[policy] for c in in_channels]

    def fuse(self, a: Tensor, b: Tensor) -> Tensor:
        if a.shape != b.shape:
            raise ValueError(f'features of the two dates differ in shape: '
                             f'{tuple(a.shape)} vs {tuple(b.shape)}')
        if self.policy == 'concat':
            return torch.cat([a, b], dim=1)
        if self.policy == 'sum':
            return a + b
        if self.policy == 'diff':
            return b - a
        if self.policy == 'abs_diff':
            return (a - b).abs()
        return torch.cat([a, b, (a - b).abs()], dim=1)

    def forward(self, feats_a: Sequence[Tensor],
                feats_b: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        if len(feats_a) != len(feats_b):
            raise ValueError(f'{len(feats_a)} vs {len(feats_b)} levels')
        return tuple(self.fuse(a, b) for a, b in zip(feats_a, feats_b))
