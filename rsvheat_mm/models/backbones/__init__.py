from .rsvheat import HeatBlock, HeatConduction, LayerNorm2d, RSvHeat

__all__ = ['RSvHeat', 'HeatBlock', 'HeatConduction', 'LayerNorm2d']
