"""Large-image detection utilities of rsvheat_mm.

* :mod:`.annotations` -- DOTA txt, VOC-style XML (DIOR, SAR-AIRcraft) and
  FAIR1M XML readers/writers (pure NumPy).
* :mod:`.split` -- overlapping tiles of any image size, boxes clipped and
  filtered by IoF as the DOTA tools do.
* :mod:`.merge` -- tile detections back to the full image, class-wise
  (rotated) NMS.
* :mod:`.submission` -- DOTA Task1/Task2, VOC comp4 and FAIR1M-2.0 XML
  leaderboard files.
* :mod:`.metrics` -- ``DetSubmissionMetric`` writing those files from a
  test run.
* :mod:`.inference` -- tile-by-tile inference on huge images.
"""
from .annotations import (AnnotationError, parse_dota_txt, parse_fair1m_xml,
                          parse_voc_xml, write_dota_txt)
from .merge import merge_by_image, merge_tile_detections, nms_merge
from .split import Tile, compute_windows, parse_tile_id, split_image
from .submission import write_dota_task1, write_fair1m_xml

__all__ = [
    'AnnotationError', 'parse_dota_txt', 'parse_fair1m_xml', 'parse_voc_xml',
    'write_dota_txt', 'merge_by_image', 'merge_tile_detections', 'nms_merge',
    'Tile', 'compute_windows', 'parse_tile_id', 'split_image',
    'write_dota_task1', 'write_fair1m_xml'
]
