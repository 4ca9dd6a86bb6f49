"""Stochastic depth (drop path) per sample."""
from torch import Tensor

__all__ = ['drop_path']


def drop_path(x: Tensor, rate: float, training: bool) -> Tensor:
    """Zero whole samples of a residual branch with probability ``rate``.

    Kept samples are scaled by ``1 / (1 - rate)``, so the expectation is
    unchanged.

    Args:
        x: Branch output [B, ...].
        rate: Drop probability in [0, 1).
        training: Drop only when True; otherwise ``x`` is returned as is.

    Returns:
        ``x`` itself when ``rate`` is 0 or not ``training``, else a new
        tensor of ``x``'s shape.
    """
    if rate == 0. or not training:
        return x
    keep = 1. - rate
    mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep
