"""Detection transforms of rsvheat_mm."""
from typing import Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS, register

__all__ = ['ResizeToAnnotationFrame']


@register(TRANSFORMS, hosts=('mmdet', 'mmrotate'))
class ResizeToAnnotationFrame(BaseTransform):
    """Resize a loaded image to the pixel frame its annotations use.

    Some releases ship images at another resolution than the one their box
    coordinates refer to (thumbnails, or images resampled after labelling;
    e.g. a DOTA tile ``P2805__1024__0___0`` stored at 170 px with labels in
    1024 px coordinates). Put this right after ``LoadImageFromFile``: it
    resizes the image to the annotation frame and sets ``img_shape`` and
    ``ori_shape`` to it, so boxes load, train and are predicted (and
    evaluated) in annotation coordinates. A no-op when the sizes agree.

    Required keys: ``img``; optional ``width``/``height`` (the frame from
    the data info, e.g. the XML ``<size>``).
    Modified keys: ``img``, ``img_shape``, ``ori_shape``.

    Args:
        frame_size: Fixed frame ``(height, width)`` or an int for square
            tiles, used when the data info has no ``width``/``height``.
            Defaults to None.
        interpolation: cv2-style name for mmcv ``imresize``. Defaults to
            ``'bilinear'``.
    """

    def __init__(self, frame_size: Optional[Union[int, Sequence[int]]] = None,
                 interpolation: str = 'bilinear') -> None:
        if isinstance(frame_size, int):
            frame_size = (frame_size, frame_size)
        self.frame_size = None if frame_size is None else tuple(
            int(v) for v in frame_size)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        import mmcv
        frame = None
        if results.get('width') and results.get('height'):
            frame = (int(results['height']), int(results['width']))
        elif self.frame_size is not None:
            frame = self.frame_size
        img = results['img']
        if frame is None or tuple(img.shape[:2]) == frame:
            return results
        out = mmcv.imresize(img, (frame[1], frame[0]),
                            interpolation=self.interpolation)
        if img.ndim == 3 and out.ndim == 2:
            out = out[..., None]
        results['img'] = np.ascontiguousarray(out)
        results['img_shape'] = frame
        results['ori_shape'] = frame
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(frame_size={self.frame_size}, '
                f'interpolation={self.interpolation!r})')
