"""Models of rsvheat_mm. Each sub-package registers on import."""
from .backbones import *  # noqa: F401,F403
from .. import selfsup  # noqa: F401
from .segmentors import *  # noqa: F401,F403
