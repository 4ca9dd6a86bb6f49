"""Datasets and transforms of rsvheat_mm. Each module registers on import.

Host-dependent modules go through ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones to the list.
"""
from ..utils.imports import import_optional

import_optional([
    '.scene_cls', '.air_polsar_seg', '.levir_cd', '.transforms',
    '.whu_opt_sar',
    '.synthetic_seg',  # embedded demo data
    '.det_datasets',  # DIOR-HBB, SAR-AIRcraft-1.0, FAIR1M
], __name__)
