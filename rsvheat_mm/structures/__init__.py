"""Data structures of rsvheat_mm: the BEV grid and camera geometry of RS-DFM."""
from .bev_geometry import (BEVGrid, check_poses, depth_at_height,
                           frustum_points, ground_depth, pixel_rays,
                           splat_to_bev)

__all__ = [
    'BEVGrid', 'pixel_rays', 'ground_depth', 'depth_at_height',
    'check_poses', 'frustum_points', 'splat_to_bev'
]
