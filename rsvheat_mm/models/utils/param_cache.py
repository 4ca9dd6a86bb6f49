"""A cache of tensors derived from parameters, valid while they are unchanged.
"""
from typing import Callable, Dict, Sequence, TypeVar

import torch
from torch import Tensor

__all__ = ['cached_on_params']

T = TypeVar('T')


def cached_on_params(cache: Dict[tuple, T], key: tuple,
                     params: Sequence[Tensor], fn: Callable[[], T]) -> T:
    """Return ``fn()``, kept in ``cache`` when no gradient is needed.

    The entry's key is ``key`` plus the parameters' version counters, so an
    in-place update (an optimizer step, ``load_state_dict``) invalidates it;
    an entry of the same ``key`` with other versions is dropped, so at most
    one entry per ``key`` is kept. While a gradient is needed (grad mode on
    and a parameter requiring grad), and inside ``torch.compile``, ``fn()``
    is computed and not cached.

    Args:
        cache: The dict holding the entries (edited in place).
        key: Hashable description of what ``fn`` computes.
        params: The parameters ``fn``'s result depends on.
        fn: Computes the value (run under ``torch.no_grad()`` when cached).

    Returns:
        ``fn()``'s value, from the cache when valid.
    """
    if torch.compiler.is_compiling():
        # version counters are data-dependent for dynamo: a compiled graph
        # computes the value in-graph (fullgraph=True, no break)
        return fn()
    if torch.is_grad_enabled() and any(p.requires_grad for p in params):
        return fn()
    full = key + tuple(p._version for p in params)
    out = cache.get(full)
    if out is None:
        n = len(key)
        for k in [k for k in cache if k[:n] == key]:
            del cache[k]
        with torch.no_grad():
            out = fn()
        cache[full] = out
    return out
