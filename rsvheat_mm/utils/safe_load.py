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
still holds the ``getattr`` records: re-save it once in a trusted session
(the error message gives the one-line command).

mmengine's own loading of local files (``load_from``, ``resume``,
``init_cfg=Pretrained``, ``init_model``) goes through
:func:`load_checkpoint_file` too, so an empty, truncated or foreign file is
named with its problem and the fix instead of torch's raw error.
"""
import copyreg
import re
import zipfile
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

import numpy as np
import torch

__all__ = [
    'CheckpointFileError', 'INCOMPLETE', 'allow_mmengine_checkpoints',
    'explain_load_error', 'safe_globals',
    'load_checkpoint_file', 'diagnose_checkpoint', 'intact_checkpoints',
    'use_checked_local_loader'
]


class CheckpointFileError(RuntimeError):
    """A checkpoint file that cannot be loaded; the message names the file,
    the problem and the fix.

    Args:
        message: The message.
        path: The file. Defaults to None.
        kind: What is wrong (see :func:`explain_load_error`; ``'empty'`` and
            ``'truncated'`` are in :data:`INCOMPLETE`). Defaults to
            ``'other'``.
    """

    def __init__(self, message: str, path: Optional[Union[str, Path]] = None,
                 kind: str = 'other'):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.kind = kind


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
    """Allow-list :func:`safe_globals` for ``torch.load(weights_only=True)``,
    pickle mmengine's ``HistoryBuffer`` from plain data and route mmengine's
    local checkpoint loading through :func:`load_checkpoint_file`
    (:func:`use_checked_local_loader`).

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
    use_checked_local_loader()


#: kinds of :class:`CheckpointFileError` that mean "cut short": an
#: interrupted save (or download), after which an earlier file may help
INCOMPLETE = ('empty', 'truncated')


def _diagnose(path: Path) -> Optional[Tuple[str, str]]:
    """``(kind, sentence)`` of what is wrong with ``path``, or None."""
    if not path.is_file():
        return ('missing', f'{path} does not exist' if not path.exists()
                else f'{path} is a folder, not a checkpoint file')
    size = path.stat().st_size
    if size == 0:
        return ('empty', f'{path} is empty (0 bytes): the save or the '
                f'download that made it did not finish')
    with open(path, 'rb') as f:
        head = f.read(256)
    if head[:4] == b'PK\x03\x04':  # torch.save's zip format (torch >= 1.6)
        if not zipfile.is_zipfile(path):
            return ('truncated', f'{path} is truncated or corrupt ({size} '
                    f'bytes, the zip archive has no central directory at its '
                    f'end): the save or the download stopped part-way')
        with zipfile.ZipFile(path) as z:
            if not any(n.endswith('data.pkl') for n in z.namelist()):
                return ('foreign', f'{path} is a zip archive but not a '
                        f'PyTorch checkpoint (no data.pkl inside)')
        return None
    if head[:1] == b'\x80':  # legacy (pre-zip) torch.save pickle
        return None
    text = head.decode('utf-8', 'replace')
    if '\ufffd' not in text[:-2] and all(c.isprintable() or c in '\r\n\t'
                                         for c in text[:-2]):
        if text.startswith('version https://git-lfs'):
            return ('foreign', f'{path} is a Git LFS pointer, not the '
                    f'weights: fetch the file itself (git lfs pull)')
        what = ('an HTML page (a failed download?)'
                if '<html' in text.lower() or '<!doctype' in text.lower()
                else 'a text file')
        return ('foreign', f'{path} is {what}, not a PyTorch checkpoint; it '
                f'starts with {text[:60]!r}')
    return ('foreign', f'{path} is not a PyTorch checkpoint: it starts with '
            f'bytes {head[:8].hex(" ")} (torch.save writes a zip archive, '
            f'"PK\\x03\\x04")')


def diagnose_checkpoint(path: Union[str, Path]) -> Optional[str]:
    """Why ``path`` is not a loadable checkpoint file, judged cheaply.

    Reads only the first bytes and (for torch's zip format) the archive
    directory at the end of the file, so it costs nothing for big files.
    It catches an empty file, a file cut short while being written or
    downloaded, and a file that is not a checkpoint at all (text, an HTML
    error page, a Git LFS pointer, random bytes).

    Args:
        path: The file.

    Returns:
        A sentence naming the file and the problem, or None when the file
        looks like a checkpoint (it may still fail to unpickle).
    """
    found = _diagnose(Path(path))
    return None if found is None else found[1]


def intact_checkpoints(folder: Union[str, Path],
                       exclude: Optional[Union[str, Path]] = None
                       ) -> List[Path]:
    """The ``*.pth`` files of ``folder`` that :func:`diagnose_checkpoint`
    passes, newest first (mmengine's ``iter_N`` / ``epoch_N`` order).

    Args:
        folder: Folder to look in.
        exclude: A file to leave out (the broken one). Defaults to None.
    """
    folder = Path(folder)
    skip = Path(exclude).resolve() if exclude is not None else None
    found = []
    for p in folder.glob('*.pth'):
        if skip is not None and p.resolve() == skip:
            continue
        if diagnose_checkpoint(p) is None:
            m = re.search(r'(\d+)\.pth$', p.name)
            found.append((int(m.group(1)) if m else -1, p.stat().st_mtime, p))
    return [p for *_, p in sorted(found, reverse=True)]


def _resave_advice(path: Path, keep: str) -> str:
    dst = path.with_name(path.stem + '_resaved.pth')
    return (f'If you trust the file (it can run code when unpickled), '
            f'{keep} once, in a session where that is acceptable:\n'
            f'  python -c "import rsvheat_mm, torch; torch.save(torch.load('
            f'\'{path}\', weights_only=False), \'{dst}\')"\n'
            f'and use {dst} instead (the original is left as it is). '
            f'Allow-listing builtins.getattr, as torch suggests, would make '
            f'every later weights-only load unsafe.')


def explain_load_error(path: Union[str, Path], err: BaseException
                       ) -> Tuple[str, str]:
    """``(kind, message)`` naming ``path``, what went wrong and the fix.

    Args:
        path: The file that failed to load.
        err: The exception ``torch.load`` raised.

    Returns:
        The kind (``'empty'``, ``'truncated'``, ``'foreign'``,
        ``'plain_mmengine'``, ``'unsafe'`` or ``'other'``) and the message.
    """
    path = Path(path)
    found = _diagnose(path)
    if found is not None:
        return found[0], found[1] + '.'
    text = str(err)
    if isinstance(err, EOFError) or 'Ran out of input' in text:
        return 'truncated', (f'{path} ends early ({path.stat().st_size} '
                             f'bytes): it is truncated (the save or the '
                             f'download stopped part-way).')
    m = re.search(r'Unsupported global: GLOBAL ([\w.]+)', text)
    if m and m.group(1) in ('getattr', 'builtins.getattr'):
        return 'plain_mmengine', (
            f'{path} was written by plain mmengine (without `import '
            f'rsvheat_mm`): its message hub pickles HistoryBuffer statistics '
            f'through builtins.getattr, which torch.load(weights_only=True) '
            f'refuses. ' + _resave_advice(
                path, 're-save it with rsvheat_mm imported (HistoryBuffer is '
                'then stored as plain data)'))
    if m:
        return 'unsafe', (
            f'{path} holds a Python object of type {m.group(1)}, which '
            f'torch.load(weights_only=True) refuses: rsvheat_mm loads only '
            f'tensors and mmengine\'s safe types. '
            + _resave_advice(path, 're-save it') +
            f' If the re-saved file still holds {m.group(1)}, keep only its '
            f'tensors (e.g. torch.save(ckpt["model"], DST)) and, for official '
            f'vHeat / RS-vHeat weights, convert them with '
            f'tools/model_converters/vheat2rsvheat.py (docs/weights.md).')
    return 'other', (f'Could not load {path} with '
                     f'torch.load(weights_only=True): {type(err).__name__}: '
                     f'{text.splitlines()[0] if text else ""}')


def load_checkpoint_file(path: Union[str, Path],
                         map_location: Union[str, torch.device] = 'cpu'
                         ) -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear error.

    Args:
        path: The checkpoint file.
        map_location: As in ``torch.load``. Defaults to ``'cpu'``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointFileError: the file is empty, truncated, not a checkpoint
            or holds objects a weights-only load refuses; the message names
            the file and the fix.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'Checkpoint not found: {path}')
    found = _diagnose(path)
    if found is not None:
        raise CheckpointFileError(found[1] + '.', path, found[0])
    allow_mmengine_checkpoints()
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with advice
        kind, msg = explain_load_error(path, e)
        raise CheckpointFileError(msg, path, kind) from e


def load_from_local(filename: str, map_location=None) -> Any:
    """mmengine's local-file checkpoint loader, via
    :func:`load_checkpoint_file` (same weights-only load, clear errors)."""
    return load_checkpoint_file(filename, map_location=map_location)


def use_checked_local_loader() -> None:
    """Route mmengine's loading of local checkpoint files (``load_from``,
    ``resume``, ``init_cfg=Pretrained``, ``init_model``) through
    :func:`load_checkpoint_file`.

    mmengine's own loader is ``torch.load`` (weights-only by default under
    torch >= 2.6) with the raw error, e.g. ``UnpicklingError ... 101`` for a
    text file; the replacement loads the same way and says which file is
    wrong and how to fix it. Idempotent; called on ``import rsvheat_mm``.
    """
    try:
        from mmengine.runner.checkpoint import CheckpointLoader
    except ImportError:  # pragma: no cover - mmengine is a dependency
        return
    CheckpointLoader.register_scheme(prefixes='',
                                     loader=load_from_local,
                                     force=True)
