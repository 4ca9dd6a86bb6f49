"""Hooks and runner helpers of rsvheat_mm."""
from .hooks import DistConsistencyHook
from .runner_utils import adapt_distributed_cfg, enable_show_dir, load_cfg

__all__ = [
    'DistConsistencyHook', 'adapt_distributed_cfg', 'enable_show_dir', 'load_cfg'
]
