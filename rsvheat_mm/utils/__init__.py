"""Utilities of rsvheat_mm: safe checkpoint loading, guarded host imports.

:mod:`.patch` (split / merge of large images) is imported on use.
"""
from .imports import import_optional
from .safe_load import allow_mmengine_checkpoints, load_checkpoint_file

allow_mmengine_checkpoints()

__all__ = ['allow_mmengine_checkpoints', 'load_checkpoint_file',
           'import_optional']
