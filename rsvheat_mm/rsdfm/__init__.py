"""RS-DFM: distributed multi-platform (multi-UAV) collaborative perception.

Ground-prior relative-depth view transformer, high/low-frequency decoupled
feature codec with an exact byte budget, pose-aligned confidence fusion, BEV
segmentation and detection heads and metrics, and a deterministic generator
of multi-UAV scenes with its dataset class. See ``docs/rsdfm.md``.
"""
from .codec import CodecPlan, FreqDecoupledCodec, quantise
from .dataset import MultiUAVBEVDataset
from .fusion import ConfidenceFusion, se2_noise, warp_bev
from .geometry import (BEVGrid, check_poses, depth_at_height, frustum_points,
                       ground_depth, pixel_rays, splat_to_bev)
from .heads import BEVCenterHead, BEVSegHead
from .metrics import BEVCenterAPMetric, BEVSegIoUMetric
from .model import CollabBEVModel
from .synth import SceneConfig, generate_dataset, generate_frame
from .view_transformer import GroundPriorViewTransformer

__all__ = [
    'BEVGrid', 'pixel_rays', 'ground_depth', 'depth_at_height',
    'check_poses', 'frustum_points', 'splat_to_bev',
    'GroundPriorViewTransformer', 'FreqDecoupledCodec', 'CodecPlan',
    'quantise', 'ConfidenceFusion', 'warp_bev', 'se2_noise', 'BEVSegHead',
    'BEVCenterHead', 'CollabBEVModel', 'BEVSegIoUMetric',
    'BEVCenterAPMetric', 'MultiUAVBEVDataset', 'SceneConfig',
    'generate_dataset', 'generate_frame'
]
