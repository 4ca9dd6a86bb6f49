"""Hooks of rsvheat_mm (registered into rsvheat_mm's HOOKS)."""
from .dist_consistency_hook import DistConsistencyHook
from .plain_weights_hook import PlainWeightsHook
from .progress_bar_hook import ProgressBarHook

__all__ = ['DistConsistencyHook', 'PlainWeightsHook', 'ProgressBarHook']
