"""Data transforms of rsvheat_mm (each module registers on import)."""
from .image_io import read_label, read_raster  # noqa: F401
from .multi_image import *  # noqa: F401,F403  (multi-image / multimodal)
from .det_transforms import *  # noqa: F401,F403  (detection)
