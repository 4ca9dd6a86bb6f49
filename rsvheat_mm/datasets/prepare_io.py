"""Output handling shared by the dataset preparation tools.

* :func:`output_folder` -- a context manager giving a temporary sibling of the
  output folder, renamed to the output when the block completes and removed
  when it fails, so no half-written dataset is left. It refuses an output
  that already holds files, or that lies in (or is) one of the inputs.
* :func:`write_image` -- writes PNG / TIFF keeping dtype and band order
  (the file's band order is the array's, whichever reader is used later).
* :func:`progress` -- a progress bar (tqdm when installed, else mmengine's).
"""
import contextlib
import os
import os.path as osp
import shutil
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np

__all__ = ['output_folder', 'write_image', 'progress', 'check_not_input']


def _inside(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_not_input(out_dir: str, inputs: Sequence[str],
                    tool: str = 'this tool') -> None:
    """Refuse an output folder that is, or lies inside, an input folder.

    Raises:
        ValueError: Naming both folders.
    """
    for inp in inputs:
        if inp and _inside(out_dir, inp):
            raise ValueError(
                f'{tool}: the output folder {out_dir!r} is (or is inside) '
                f'the input folder {inp!r}; it never writes into its own '
                f'inputs. Choose an output folder outside the inputs.')


@contextlib.contextmanager
def output_folder(out_dir: str, inputs: Sequence[str] = (),
                  tool: str = 'this tool') -> Iterator[str]:
    """Build an output folder under a temporary name; rename when done.

    Args:
        out_dir: The final folder. It must not exist, or be empty.
        inputs: Input folders the output must stay out of. Defaults to ().
        tool: Name used in messages. Defaults to ``'this tool'``.

    Yields:
        The temporary folder to write into (``<out_dir>.partial``, beside
        ``out_dir``).

    Raises:
        ValueError: ``out_dir`` is an input, lies in one, is a file or holds
            files already.
    """
    check_not_input(out_dir, inputs, tool)
    if osp.isfile(out_dir):
        raise ValueError(f'{tool}: the output {out_dir!r} is a file; give a '
                         f'folder.')
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise ValueError(
            f'{tool}: the output folder {out_dir!r} already holds files; '
            f'remove it or choose a new folder (nothing is overwritten).')
    tmp = osp.abspath(out_dir).rstrip(os.sep) + '.partial'
    if osp.exists(tmp):
        shutil.rmtree(tmp)  # left by an interrupted earlier run
    os.makedirs(tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if osp.isdir(out_dir):
        os.rmdir(out_dir)  # empty, checked above
    os.replace(tmp, out_dir)


def write_image(path: str, image: np.ndarray) -> None:
    """Write ``image`` ([H, W] or [H, W, C], any dtype OpenCV writes).

    OpenCV stores 3/4-band arrays as BGR(A); the bands are swapped first so
    that the file holds the array's band order (read back unchanged by
    :func:`~rsvheat_mm.datasets.transforms.image_io.read_raster`).

    Raises:
        IOError: The file could not be written.
    """
    import cv2
    arr = image
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        order = [2, 1, 0] + ([3] if arr.shape[2] == 4 else [])
        arr = arr[..., order]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(arr)):
        raise IOError(f'could not write {path} ({image.dtype}, shape '
                      f'{image.shape}); use .tif for non-uint8 or more than '
                      f'4 bands.')


def progress(items: Iterable, total: Optional[int] = None,
             desc: str = '') -> Iterable:
    """Iterate with a progress bar on stderr."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with mmdet
        from mmengine.utils import track_iter_progress
        items = list(items)
        return track_iter_progress(items) if items else items
    return tqdm(items, total=total, desc=desc, dynamic_ncols=True)
