"""Utilities of rsvheat_mm."""
from .checkpoint import allow_mmengine_checkpoints, load_checkpoint_file
from .imports import import_optional

allow_mmengine_checkpoints()

__all__ = ['allow_mmengine_checkpoints', 'load_checkpoint_file', 'import_optional']
