"""Resizing of the per-stage FVE / SCE embeddings to another feature size."""
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor

__all__ = ['resize_embedding', 'EMBED_RESIZE_MODES']

#: accepted ``mode`` values of :func:`resize_embedding`
EMBED_RESIZE_MODES = ('bilinear', 'bicubic', 'zero_pad')


def resize_embedding(emb: Tensor, size: Tuple[int, int], mode: str) -> Tensor:
    """Resize an [H, W, C] embedding to ``size`` (the FVE/SCE resize policy).

    Args:
        emb: Embedding [H, W, C].
        size: Target ``(H', W')``.
        mode: ``'bilinear'`` / ``'bicubic'``: interpolation with
            ``align_corners=False`` (same normalised frequency, so the same
            per-pixel diffusion kernel), computed in float32 and cast back.
            ``'zero_pad'``: vHeat's downstream script, zero rows/columns at
            high frequencies (bottom/right), cropping when the target is
            smaller.

    Returns:
        ``emb`` itself when it already has ``size``, else a new
        [H', W', C] tensor of ``emb``'s dtype.
    """
    if tuple(emb.shape[:2]) == tuple(size):
        return emb
    if mode == 'zero_pad':
        h, w = size
        out = emb[:h, :w]
        return F.pad(out, (0, 0, 0, w - out.shape[1], 0, h - out.shape[0]))
    x = emb.permute(2, 0, 1)[None].float()
    x = F.interpolate(x, size=size, mode=mode, align_corners=False)
    return x[0].permute(1, 2, 0).to(emb.dtype)
