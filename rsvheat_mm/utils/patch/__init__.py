"""Large images as overlapping patches: split (with annotations), merge back.

* :mod:`.split` -- overlapping tiles of any image size; cut boxes follow
  mmrotate's ``img_split.py`` (default) or the DOTA kit's ``ImgSplit.py``.
* :mod:`.merge` -- tile detections back to the full image, class-wise
  (rotated) NMS (mmcv ops, imported when used).
"""
from .merge import (merge_by_image, merge_tile_detections, nms_merge,
                    rbox_to_poly, shift_boxes, to_tensor)
from .split import (SPLIT_MODES, Tile, clip_polygon, compute_windows,
                    objects_outside, parse_tile_id, polygon_area, split_image,
                    split_objects, tile_id)

__all__ = [
    'Tile', 'tile_id', 'parse_tile_id', 'compute_windows', 'polygon_area',
    'clip_polygon', 'split_objects', 'split_image', 'shift_boxes',
    'nms_merge', 'merge_tile_detections', 'merge_by_image', 'rbox_to_poly',
    'to_tensor', 'objects_outside', 'SPLIT_MODES'
]
