"""Checkpoint loading that keeps torch's ``weights_only=True`` safety on.

torch >= 2.6 loads with ``weights_only=True`` by default. mmengine 0.10.7
saves, next to the tensors, a few plain Python objects of its own (the
``HistoryBuffer`` of its message hub, holding numpy arrays), so its own
``resume`` then fails with ``Unsupported global``. Instead of turning the
check off we

* allow-list exactly the safe types (``HistoryBuffer``, numpy arrays,
  scalars and dtypes) for ``torch.load(weights_only=True)``, and
* pickle ``HistoryBuffer`` as ``HistoryBuffer(log_history, count_history,
  max_length)`` with plain lists. Its default pickle also stores its
  statistics *methods* through ``builtins.getattr``, which we refuse to
  allow-list: ``getattr`` would let a pickle reach any attribute of any
  allowed object.

Checkpoints written after ``import rsvheat_mm`` (all of this project's tools)
therefore resume with the check on. A checkpoint written by plain mmengine
still holds the ``getattr`` records: re-save it once in a trusted session.
"""
import copyreg
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


def _reduce_history_buffer(buf):
    """Pickle a HistoryBuffer from its data alone (no method objects)."""
    return (type(buf), (buf._log_history.tolist(),
                        buf._count_history.tolist(), buf.max_length))


def allow_mmengine_checkpoints() -> None:
    """Allow-list :func:`safe_globals` for ``torch.load(weights_only=True)``
    and pickle mmengine's ``HistoryBuffer`` from plain data.

    Idempotent; called on ``import rsvheat_mm``.
    """
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
        copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    except ImportError:  # pragma: no cover - mmengine is a dependency
        pass
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
