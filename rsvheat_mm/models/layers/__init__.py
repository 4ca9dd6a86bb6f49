"""Generic layers used by the RS-vHeat backbone (and reusable elsewhere)."""
from .drop_path import drop_path
from .memory_efficient import (FFN, GatedLinear, GeluLinear, apply_fused,
                               linear_param_grads)
from .norm import LayerNorm2d

__all__ = [
    'LayerNorm2d', 'drop_path', 'FFN', 'GeluLinear', 'GatedLinear',
    'apply_fused', 'linear_param_grads'
]
