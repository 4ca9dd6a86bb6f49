"""Models of rsvheat_mm. Each sub-package registers on import.

Host-dependent sub-packages go through ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones to the list.
"""
from ..utils.imports import import_optional
from .backbones import *  # noqa: F401,F403

import_optional(['.necks', '.segmentors', '.selfsup', '.rsdfm'], __name__)
