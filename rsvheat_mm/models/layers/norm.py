"""LayerNorm over the channels of channels-first maps."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ['LayerNorm2d']


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a channels-first [B, C, H, W] tensor.

    Takes the arguments of :class:`torch.nn.LayerNorm` (``normalized_shape``
    is the channel count C; ``eps`` defaults to 1e-5).
    """

    def forward(self, x: Tensor, scale: Optional[Tensor] = None) -> Tensor:
        """Normalise ``x`` over its channels.

        Args:
            x: Map [B, C, H, W].
            scale: Per-channel factor [C] (a layer scale). When given,
                ``scale * LN(x)`` is computed as one LayerNorm with scaled
                affine parameters (``LN(x; scale * w, scale * b)``), so
                autograd keeps the norm's input only, not also its output
                for ``scale``'s gradient. Defaults to None (no scaling).

        Returns:
            Tensor of ``x``'s shape.
        """
        w, b = self.weight, self.bias
        if scale is not None:
            w, b = w * scale, b * scale
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, w, b,
                         self.eps)
        return x.permute(0, 3, 1, 2)
