"""Models of RS-DFM: multi-platform (multi-UAV) collaborative perception.

Ground-prior relative-depth view transformer, high/low-frequency decoupled
feature codec with an exact byte budget, pose-aligned confidence fusion, BEV
segmentation and detection heads, and the collaborative model. Its geometry
lives in :mod:`rsvheat_mm.structures`, the scene generator and dataset in
:mod:`rsvheat_mm.datasets`, the metrics in :mod:`rsvheat_mm.evaluation`.
See ``docs/rsdfm.md``.
"""
from .bev_heads import BEVCenterHead, BEVSegHead
from .codec import CodecPlan, FreqDecoupledCodec, quantise
from .collab_bev_model import CollabBEVModel
from .fusion import ConfidenceFusion, se2_noise, warp_bev
from .view_transformer import GroundPriorViewTransformer

__all__ = [
    'GroundPriorViewTransformer', 'FreqDecoupledCodec', 'CodecPlan',
    'quantise', 'ConfidenceFusion', 'warp_bev', 'se2_noise', 'BEVSegHead',
    'BEVCenterHead', 'CollabBEVModel'
]
