"""Registries of rsvheat_mm and the policy that every module follows.

Registration policy
-------------------
1. Every module of the plugin registers into **rsvheat_mm's own registries**
   (defined here as children of mmengine's roots, with ``locations`` so that
   they import lazily). From any host config it is reachable as
   ``type='rsvheat_mm.Name'``, even without ``custom_imports``.
2. A module meant to be used *inside* a host toolbox (a backbone in mmdet,
   a dataset in mmseg, ...) is also **exported** into that host's registry
   with :func:`export_to_hosts`, so that a plain ``type='Name'`` works under
   the host's ``default_scope`` after ``import rsvheat_mm`` or
   ``custom_imports=dict(imports=['rsvheat_mm'], allow_failed_imports=False)``.
   Export is guarded: a host that is not installed is skipped, so the pure
   math and the backbone stay usable with torch + mmengine alone.
3. Names are never registered twice under different classes: a name clash
   with a host's own module raises instead of silently shadowing it.
"""
import importlib
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Type

import mmengine.registry as _mm
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='rsvheat_mm',
                  locations=['rsvheat_mm.models'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='rsvheat_mm',
                    locations=['rsvheat_mm.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      scope='rsvheat_mm',
                      locations=['rsvheat_mm.datasets.transforms'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope='rsvheat_mm',
                   locations=['rsvheat_mm.evaluation.metrics'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='rsvheat_mm',
                 locations=['rsvheat_mm.engine.hooks'])

# Under ``default_scope='rsvheat_mm'`` (the RS-DFM configs) mmengine builds
# the runner's parts (loops, optimizer wrapper, schedulers, visualizer, ...)
# through the child named 'rsvheat_mm' of each of its root registries;
# without one it logs "Failed to search registry with scope" and falls back
# to the root. These children hold no modules of their own: each defers
# every key to its mmengine parent, so the lookup succeeds quietly.


def _scope_child(root: Registry) -> Registry:
    return Registry(root.name, parent=root, scope='rsvheat_mm')


RUNNERS = _scope_child(_mm.RUNNERS)
RUNNER_CONSTRUCTORS = _scope_child(_mm.RUNNER_CONSTRUCTORS)
LOOPS = _scope_child(_mm.LOOPS)
LOG_PROCESSORS = _scope_child(_mm.LOG_PROCESSORS)
OPTIMIZERS = _scope_child(_mm.OPTIMIZERS)
OPTIM_WRAPPERS = _scope_child(_mm.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _scope_child(_mm.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _scope_child(_mm.PARAM_SCHEDULERS)
DATA_SAMPLERS = _scope_child(_mm.DATA_SAMPLERS)
VISUALIZERS = _scope_child(_mm.VISUALIZERS)
VISBACKENDS = _scope_child(_mm.VISBACKENDS)
EVALUATOR = _scope_child(_mm.EVALUATOR)
TASK_UTILS = _scope_child(_mm.TASK_UTILS)
WEIGHT_INITIALIZERS = _scope_child(_mm.WEIGHT_INITIALIZERS)
MODEL_WRAPPERS = _scope_child(_mm.MODEL_WRAPPERS)
FUNCTIONS = _scope_child(_mm.FUNCTIONS)
INFERENCERS = _scope_child(_mm.INFERENCERS)
STRATEGIES = _scope_child(_mm.STRATEGIES)

#: host toolbox -> module that defines its registries
HOST_REGISTRY_MODULES: Dict[str, str] = {
    'mmdet': 'mmdet.registry',
    'mmseg': 'mmseg.registry',
    'mmrotate': 'mmrotate.registry',
    'mmpretrain': 'mmpretrain.registry',
}
ALL_HOSTS = tuple(HOST_REGISTRY_MODULES)


def _host_registry(host: str, name: str) -> Optional[Registry]:
    try:
        module = importlib.import_module(HOST_REGISTRY_MODULES[host])
    except Exception:  # host not installed or broken: skip (policy 2)
        return None
    return getattr(module, name, None)


def export_to_hosts(cls: Type, registry: str = 'MODELS',
                    hosts: Iterable[str] = ALL_HOSTS,
                    name: Optional[str] = None) -> Type:
    """Register ``cls`` into the ``registry`` of each installed host.

    Args:
        cls: The class (already registered in rsvheat_mm).
        registry: Attribute name of the host registry, e.g. ``'MODELS'``.
        hosts: Host package names. Defaults to all four toolboxes.
        name: Registered name. Defaults to ``cls.__name__``.

    Returns:
        ``cls`` unchanged, so it can be used as a decorator helper.
    """
    key = name or cls.__name__
    for host in hosts:
        reg = _host_registry(host, registry)
        if reg is None:
            continue
        existing = reg.module_dict.get(key)
        if existing is cls:
            continue
        if existing is not None:
            raise KeyError(
                f'{host}.{registry} already has a different module named '
                f'{key!r} ({existing.__module__}); rsvheat_mm will not shadow '
                f'it. Use type="rsvheat_mm.{key}" instead.')
        reg.register_module(name=key, module=cls)
    return cls


def register(registry: Registry, hosts: Sequence[str] = (),
             host_registry: Optional[str] = None) -> Callable[[Type], Type]:
    """Decorator: register into ``registry`` and export to ``hosts``.

    Args:
        registry: One of this module's registries.
        hosts: Host toolboxes to export to (see :func:`export_to_hosts`).
        host_registry: Attribute name of the host registry. Defaults to the
            upper-cased ``registry.name`` plus ``'S'`` (``'MODELS'``, ...).
    """
    attr = host_registry or (registry.name.upper() + 'S')

    def _decorate(cls: Type) -> Type:
        registry.register_module(module=cls)
        if hosts:
            export_to_hosts(cls, attr, hosts)
        return cls

    return _decorate


def build_module(cfg: Any, registry: Optional[Registry] = None) -> Any:
    """Build ``cfg`` from ``registry``; a built module or None passes through.

    Args:
        cfg: A config dict, an already built ``nn.Module``, or None.
        registry: Registry to build from. Defaults to None (:data:`MODELS`).
    """
    import torch.nn as nn
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return (registry or MODELS).build(cfg)
