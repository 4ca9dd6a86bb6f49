"""Metrics of rsvheat_mm. Each module registers on import.

Host-dependent modules go through ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones to the list.
"""
from ..utils.imports import import_optional

import_optional([
    '.change_metric',
    '..det.metrics',  # submission files
], __name__)
