"""Pose-aligned, confidence-weighted fusion of any number of platforms.

Every platform's (decoded) BEV map is first warped into the receiver's BEV
frame with its relative SE(2) pose (:func:`warp_bev`: bilinear
``grid_sample``, zero padding; the validity mask is warped the same way),
then fused per cell with weights ``w_j = softmax_j(conf(F_j))`` over the
platforms present *and* valid at that cell. ``conf`` is a per-platform 1x1
MLP, so the result is invariant to the order of the platforms; a platform
that is absent (``agent_mask`` False, e.g. dropped out mid-sequence) is
excluded exactly as if it had never been in the batch, and a cell no platform
sees is zero.
"""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from ...registry import MODELS, register
from ...structures.bev_geometry import BEVGrid

__all__ = ['warp_bev', 'ConfidenceFusion', 'se2_noise']


def warp_bev(feats: Tensor, poses: Tensor, grid: BEVGrid) -> Tensor:
    """Warp maps from their own BEV frame into the target BEV frame.

    Args:
        feats: Maps [M, C, H, W] on ``grid`` in the source frames.
        poses: SE(2) source-to-target transforms [M, 3] as
            ``(t_x, t_y, yaw)``: ``p_target = R(yaw) p_source + t``.
        grid: The BEV grid (the same in both frames).

    Returns:
        Maps [M, C, H, W] on ``grid`` in the target frame (zero outside the
        source map).
    """
    if poses.shape != (feats.shape[0], 3):
        raise ValueError(f'warp_bev: poses must be [M, 3] (tx, ty, yaw) for '
                         f'{feats.shape[0]} maps, got {tuple(poses.shape)}')
    centres = grid.cell_centres(feats.dtype, feats.device)  # [H, W, 2]
    c, s = torch.cos(poses[:, 2]), torch.sin(poses[:, 2])
    d = centres[None] - poses[:, None, None, :2]  # [M, H, W, 2]
    # p_source = R^T (p_target - t)
    xs = c[:, None, None] * d[..., 0] + s[:, None, None] * d[..., 1]
    ys = -s[:, None, None] * d[..., 0] + c[:, None, None] * d[..., 1]
    nx = (xs - grid.x_range[0]) / (grid.x_range[1] - grid.x_range[0]) * 2 - 1
    ny = (ys - grid.y_range[0]) / (grid.y_range[1] - grid.y_range[0]) * 2 - 1
    return nn.functional.grid_sample(
        feats, torch.stack([nx, ny], -1), mode='bilinear',
        padding_mode='zeros', align_corners=False)


def se2_noise(shape: Tuple[int, ...], sigma_t: float, sigma_yaw_deg: float,
              generator: Optional[torch.Generator] = None,
              device: Optional[torch.device] = None) -> Tensor:
    """Gaussian SE(2) pose errors [..., 3] (metres, metres, radians)."""
    noise = torch.randn(*shape, 3, generator=generator, device=device)
    scale = torch.tensor([sigma_t, sigma_t, math.radians(sigma_yaw_deg)],
                         device=device)
    return noise * scale


@register(MODELS)
class ConfidenceFusion(nn.Module):
    """Per-cell softmax fusion over platforms, weighted by learned confidence.

    Args:
        channels: Channels of the BEV maps.
        hidden: Hidden width of the 1x1 confidence MLP. Defaults to 16.
        mode: ``'softmax'`` (confidence-weighted, default), ``'mean'``
            (uniform over valid platforms) or ``'max'`` (element-wise max
            over valid platforms); all are order invariant.
    """

    modes = ('softmax', 'mean', 'max')

    def __init__(self, channels: int, hidden: int = 16,
                 mode: str = 'softmax') -> None:
        super().__init__()
        if mode not in self.modes:
            raise ValueError(f'ConfidenceFusion.mode={mode!r}: choose one of '
                             f'{self.modes}.')
        self.mode = mode
        self.conf = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 1, 1))

    def forward(self, feats: Tensor, valid: Tensor,
                agent_mask: Optional[Tensor] = None,
                poses: Optional[Tensor] = None,
                grid: Optional[BEVGrid] = None) -> Tuple[Tensor, Tensor]:
        """Fuse ``N`` platforms.

        Args:
            feats: BEV maps [B, N, C, H, W].
            valid: Cells each platform observes [B, N, 1, H, W] (bool or
                {0, 1} float).
            agent_mask: Platforms present [B, N] (bool). Defaults to all.
            poses: Optional SE(2) source-to-receiver transforms [B, N, 3];
                when given, maps and masks are warped first (needs
                ``grid``). Defaults to None (already aligned).
            grid: BEV grid for the warp. Defaults to None.

        Returns:
            ``(fused [B, C, H, W], weights [B, N, 1, H, W])``.
        """
        if feats.dim() != 5 or valid.shape[:2] != feats.shape[:2]:
            raise ValueError(
                f'ConfidenceFusion: feats [B, N, C, H, W] and valid '
                f'[B, N, 1, H, W] must agree on B and N, got '
                f'{tuple(feats.shape)} and {tuple(valid.shape)}.')
        b, n, c, h, w = feats.shape
        if agent_mask is None:
            agent_mask = torch.ones(b, n, dtype=torch.bool,
                                    device=feats.device)
        if agent_mask.shape != (b, n):
            raise ValueError(f'ConfidenceFusion: agent_mask must be [B, N] = '
                             f'{(b, n)}, got {tuple(agent_mask.shape)}; pad '
                             f'every sample to the same number of platforms.')
        valid = valid.to(feats.dtype)
        if poses is not None:
            if grid is None:
                raise ValueError('ConfidenceFusion: poses given without the '
                                 'BEV grid to warp on.')
            feats = warp_bev(feats.flatten(0, 1), poses.reshape(-1, 3),
                             grid).view(b, n, c, h, w)
            valid = warp_bev(valid.flatten(0, 1), poses.reshape(-1, 3),
                             grid).view(b, n, 1, h, w)
        ok = (valid > 0.5) & agent_mask.bool()[:, :, None, None, None]
        if self.mode == 'max':
            masked = feats.masked_fill(~ok, float('-inf'))
            fused = masked.max(1).values
            any_ok = ok.any(1)
            fused = torch.where(any_ok, fused, torch.zeros_like(fused))
            weights = ok.to(feats.dtype)
            return fused, weights
        if self.mode == 'mean':
            logits = torch.zeros(b, n, 1, h, w, dtype=feats.dtype,
                                 device=feats.device)
        else:
            logits = self.conf(feats.flatten(0, 1)).view(b, n, 1, h, w)
        logits = logits.masked_fill(~ok, float('-inf'))
        any_ok = ok.any(1, keepdim=True)
        logits = torch.where(any_ok, logits, torch.zeros_like(logits))
        weights = torch.softmax(logits, dim=1) * any_ok
        return (weights * feats).sum(1), weights
