"""Datasets and transforms of rsvheat_mm. Each module registers on import."""
from . import scene_cls  # noqa: F401
from . import air_polsar_seg, levir_cd, transforms, whu_opt_sar  # noqa
from . import det_datasets  # noqa: F401  (DIOR-HBB, SAR-AIRcraft-1.0, FAIR1M)
