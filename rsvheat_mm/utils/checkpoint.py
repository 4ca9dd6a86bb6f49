"""Checkpoint loading that keeps torch's ``weights_only=True`` safety on.

torch >= 2.6 loads with ``weights_only=True`` by default. mmengine 0.10.7
saves, next to the tensors, a few plain Python objects of its own (the
``HistoryBuffer`` of its message hub, holding numpy arrays), so its own
``resume`` then fails with ``Unsupported global``. Instead of turning the
check off we allow-list exactly those safe types; everything else a pickle
might smuggle in is still refused.
"""
from pathlib import Path
from typing import Any, List, Union

import numpy as np
import torch

__all__ = ['allow_mmengine_checkpoints', 'safe_globals', 'load_checkpoint_file']


def safe_globals() -> List[Any]:
    """Types mmengine stores in checkpoints that are safe to unpickle."""
    out: List[Any] = []
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
        out.append(HistoryBuffer)
    except ImportError:  # pragma: no cover - mmengine is a dependency
        pass
    # numpy arrays and scalars inside HistoryBuffer / meta
    try:
        from numpy._core import multiarray as _ma  # numpy >= 2
    except ImportError:  # pragma: no cover
        from numpy.core import multiarray as _ma
    out += [_ma._reconstruct, _ma.scalar, np.ndarray, np.dtype]
    for name in ('float64', 'float32', 'float16', 'int64', 'int32', 'int16',
                 'int8', 'uint8', 'bool_'):
        out.append(type(np.dtype(getattr(np, name))))
    return out


def allow_mmengine_checkpoints() -> None:
    """Allow-list :func:`safe_globals` for ``torch.load(weights_only=True)``.

    Idempotent; called on ``import rsvheat_mm``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(safe_globals())


def load_checkpoint_file(path: Union[str, Path],
                         map_location: Union[str, torch.device] = 'cpu'
                         ) -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Checkpoint not found: {path}')
    allow_mmengine_checkpoints()
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with advice
        raise RuntimeError(
            f'Could not load {path} with torch.load(weights_only=True): '
            f'{e}\nrsvheat_mm only loads checkpoints made of tensors and '
            f'mmengine\'s safe types. Re-save a foreign checkpoint as a '
            f'plain state dict, e.g. with '
            f'tools/model_converters/vheat2rsvheat.py.') from e
