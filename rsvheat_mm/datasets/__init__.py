"""Datasets and transforms of rsvheat_mm. Each module registers on import."""
from . import air_polsar_seg, levir_cd, transforms, whu_opt_sar  # noqa
