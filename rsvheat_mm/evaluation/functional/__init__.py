"""Leaderboard file writers (DOTA, VOC comp4, FAIR1M-2.0 XML); pure NumPy."""
from .submission import (detections_to_polys, write_dota_task1,
                         write_fair1m_xml, write_hbox_per_class, zip_files)

__all__ = [
    'detections_to_polys', 'write_dota_task1', 'write_hbox_per_class',
    'write_fair1m_xml', 'zip_files'
]
