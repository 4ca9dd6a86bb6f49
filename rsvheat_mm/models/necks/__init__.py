"""Necks of rsvheat_mm (registered into rsvheat_mm and mmseg)."""
from .pyramid_fusion_neck import PyramidFusionNeck

__all__ = ['PyramidFusionNeck']
