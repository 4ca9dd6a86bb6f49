"""Models of rsvheat_mm. Each sub-package registers on import.

Host-dependent sub-packages are listed in ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones there.
"""
from ..utils.imports import import_optional
from .backbones import *  # noqa: F401,F403

import_optional(['..selfsup', '..rsdfm', '.segmentors'], __name__)
