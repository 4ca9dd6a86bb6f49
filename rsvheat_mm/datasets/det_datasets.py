"""Detection datasets: DIOR-HBB and SAR-AIRcraft-1.0 (mmdet), FAIR1M (mmrotate).

Imported through :func:`rsvheat_mm.utils.imports.import_optional`: a missing
host toolbox skips the module (listed in ``SKIPPED``), any other import
error is raised.
"""
from ..utils.imports import import_optional

import_optional(('.dior', '.sar_aircraft', '.fair1m'), __package__)
