"""rsvheat_mm: RS-vHeat for mmdet, mmseg, mmrotate and mmpretrain.

``import rsvheat_mm`` registers every module (see :mod:`rsvheat_mm.registry`
for the policy): ``type='rsvheat_mm.Name'`` works from any host config and
plain ``type='Name'`` works under the host scope the module is exported to.
The packages follow OpenMMLab's split by component kind (README "Layout");
:mod:`rsvheat_mm.apis` (tiled inference) and :mod:`rsvheat_mm.analysis`
(benchmarks) register nothing and are imported on use.
"""
from .version import __version__
from .registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS
from . import utils  # noqa: F401  (torch>=2.6 safe checkpoint loading)
from . import models  # noqa: F401
from . import datasets  # noqa: F401
from . import evaluation  # noqa: F401
from . import engine  # noqa: F401

__all__ = ['__version__', 'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS']
