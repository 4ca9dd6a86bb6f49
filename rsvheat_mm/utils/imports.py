"""Guarded imports of the parts of rsvheat_mm that need a host toolbox.

The pure math and the backbone need only torch + mmengine (so they can be
carried to a bare GPU machine as a few wheels). Everything that subclasses
mmdet / mmseg / mmrotate / mmpretrain / mmcv classes is imported through
:func:`import_optional`: a *missing host toolbox* is skipped (and listed in
:data:`SKIPPED`), every other import error is raised as usual.
"""
import importlib
from typing import Dict, Iterable

HOST_PACKAGES = ('mmdet', 'mmseg', 'mmrotate', 'mmpretrain', 'mmcv')
#: module name -> missing host package, for modules skipped at import
SKIPPED: Dict[str, str] = {}


def import_optional(names: Iterable[str], package: str) -> None:
    """Import each relative module name in ``names`` from ``package``."""
    for name in names:
        try:
            importlib.import_module(name, package)
        except ModuleNotFoundError as e:
            root = (e.name or '').split('.')[0]
            if root not in HOST_PACKAGES:
                raise
            SKIPPED[importlib.util.resolve_name(name, package)] = root
