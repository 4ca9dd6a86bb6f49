"""Hooks and runner helpers of rsvheat_mm."""
from .hooks import DistConsistencyHook, PlainWeightsHook, ProgressBarHook
from .runner_utils import (ToolInputError, adapt_distributed_cfg,
                           enable_show_dir, load_cfg, silence_known_warnings,
                           summarize_metrics, user_errors)

__all__ = [
    'DistConsistencyHook', 'PlainWeightsHook', 'ProgressBarHook',
    'ToolInputError', 'adapt_distributed_cfg', 'enable_show_dir', 'load_cfg',
    'silence_known_warnings', 'summarize_metrics', 'user_errors'
]
