"""Ground-prior view transformer: relative-depth lift and BEV splat (LSS).

Each image feature cell predicts context features F and a categorical
distribution p over **height-above-ground bins** ``h_k`` (relative depth);
the point of bin k on the cell's ray is ``T + d_g (1 - h_k / h_cam) a``
(:func:`~.geometry.frustum_points`) and receives ``p_k F``, which is
sum-pooled into the BEV cell below it (:func:`~.geometry.splat_to_bev`).
The ``'absolute'`` mode is the metric-depth baseline (bins uniform in
camera depth), kept for the altitude-generalisation ablation.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ...registry import MODELS, register
from ...structures.bev_geometry import (BEVGrid, check_poses, frustum_points, ground_depth,
                       pixel_rays, splat_to_bev)

__all__ = ['GroundPriorViewTransformer']


@register(MODELS)
class GroundPriorViewTransformer(nn.Module):
    """Lift image features to one platform's BEV map with the ground prior.

    Args:
        in_channels: Channels of the image feature map.
        out_channels: BEV feature channels. Defaults to 16.
        bev_grid: ``dict(x_range, y_range, resolution)`` of the shared BEV
            grid. Defaults to 32 x 32 cells of 2 m over [-32, 32]^2.
        height_bins: ``(h_max, num_bins)`` of the uniform height bins in
            ``[0, h_max]`` metres. Defaults to (16.0, 9).
        depth_mode: ``'relative'`` (height bins, the RS-DFM prior) or
            ``'absolute'`` (metric-depth baseline: ``num_bins`` depths
            uniform in ``depth_range``). Defaults to 'relative'.
        depth_range: ``(d_min, d_max)`` of the absolute mode and the clamp
            of the ground depth in both modes. Defaults to (1.0, 400.0).
        ground_z: Ground plane height. Defaults to 0.0.
        lift_upsample: Bilinear upsampling of the feature map before
            lifting (denser rays per BEV cell). Defaults to 2.
        coverage_stride: Image pixels between the rays that decide which BEV
            cells a platform observes (geometry only, no learning).
            Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int = 16,
                 bev_grid: Optional[Dict] = None,
                 height_bins: Tuple[float, int] = (16.0, 9),
                 depth_mode: str = 'relative',
                 depth_range: Tuple[float, float] = (1.0, 400.0),
                 ground_z: float = 0.0, lift_upsample: int = 2,
                 coverage_stride: int = 1) -> None:
        super().__init__()
        if depth_mode not in ('relative', 'absolute'):
            raise ValueError(f'depth_mode={depth_mode!r}: choose '
                             f"'relative' or 'absolute'.")
        self.grid = BEVGrid(**(bev_grid or {}))
        self.depth_mode = depth_mode
        h_max, num = height_bins
        self.num_bins = int(num)
        if depth_mode == 'relative':
            bins = torch.linspace(0.0, float(h_max), self.num_bins)
        else:
            bins = torch.linspace(float(depth_range[0]),
                                  float(depth_range[1]), self.num_bins)
        self.register_buffer('bins', bins, persistent=False)
        self.depth_range = tuple(float(d) for d in depth_range)
        self.ground_z = float(ground_z)
        self.lift_upsample = int(lift_upsample)
        self.coverage_stride = int(coverage_stride)
        self.out_channels = out_channels
        self.proj = nn.Conv2d(in_channels, out_channels + self.num_bins, 1)

    def bin_targets(self, height: Tensor, size: Sequence[int]) -> Tensor:
        """Height-bin index per feature cell from a per-pixel height map.

        Args:
            height: Heights above ground [M, H_img, W_img]; < 0 is sky.
            size: ``(h, w)`` of the lifted feature grid.

        Returns:
            Long targets [M, h, w]; -1 (ignore) for sky.
        """
        sampled = nn.functional.interpolate(height[:, None].float(),
                                            size=tuple(size),
                                            mode='nearest')[:, 0]
        step = (self.bins[-1] - self.bins[0]) / max(1, self.num_bins - 1)
        idx = torch.round((sampled - self.bins[0]) / step).clamp(
            0, self.num_bins - 1).long()
        return torch.where(sampled < 0, torch.full_like(idx, -1), idx)

    def coverage(self, cam2img: Tensor, cam2world: Tensor,
                 img_hw: Sequence[int]) -> Tensor:
        """BEV cells hit by any ground ray of each camera [M, 1, H, W]."""
        s = self.coverage_stride
        h, w = img_hw[0] // s, img_hw[1] // s
        rays = pixel_rays(cam2img, cam2world, h, w, float(s))
        cam_h = (cam2world[:, 2, 3] - self.ground_z)[:, None, None]
        d_g, ok = ground_depth(rays, cam_h, max_depth=self.depth_range[1])
        pts = cam2world[:, None, None, :3, 3] + d_g[..., None] * rays
        ones = ok.new_ones(ok.shape, dtype=cam2world.dtype)
        cov = splat_to_bev(ones.flatten(1)[..., None], pts.flatten(1, 2),
                           ok.flatten(1), self.grid)
        return (cov > 0).to(cam2world.dtype)

    def points(self, cam2img: Tensor, cam2world: Tensor,
               feat_hw: Sequence[int], stride: float
               ) -> Tuple[Tensor, Tensor]:
        """Frustum points [M, D, h, w, 3] and mask of the configured mode."""
        if self.depth_mode == 'relative':
            return frustum_points(cam2img, cam2world, feat_hw, stride,
                                  self.bins, self.ground_z,
                                  max_depth=self.depth_range[1])
        h, w = feat_hw
        rays = pixel_rays(cam2img, cam2world, h, w, stride)  # [M, h, w, 3]
        d = self.bins.to(rays)[None, :, None, None, None]
        pts = cam2world[:, None, None, None, :3, 3] + d * rays[:, None]
        valid = pts[..., 2] >= self.ground_z - 1e-3
        return pts, valid

    def forward(self, feats: Tensor, cam2img: Tensor, cam2world: Tensor,
                img_hw: Sequence[int]) -> Dict[str, Tensor]:
        """Lift and splat.

        Args:
            feats: Image features [M, C_in, h, w].
            cam2img: Intrinsics [M, 3, 3] of the full images.
            cam2world: Poses [M, 4, 4].
            img_hw: ``(H, W)`` of the full images.

        Returns:
            Dict with ``bev`` [M, C, Hb, Wb], ``coverage`` [M, 1, Hb, Wb],
            ``bin_logits`` [M, D, h', w'] (h', w' after ``lift_upsample``).
        """
        check_poses(cam2world, self.ground_z,
                    where='GroundPriorViewTransformer cam2world')
        x = self.proj(feats)
        if self.lift_upsample > 1:
            x = nn.functional.interpolate(x, scale_factor=self.lift_upsample,
                                          mode='bilinear',
                                          align_corners=False)
        m, _, h, w = x.shape
        ctx, logits = x[:, :self.out_channels], x[:, self.out_channels:]
        prob = logits.softmax(1)
        stride = img_hw[0] / h
        pts, valid = self.points(cam2img, cam2world.to(x.dtype), (h, w),
                                 stride)
        vals = prob[:, :, None] * ctx[:, None]  # [M, D, C, h, w]
        vals = vals.permute(0, 1, 3, 4, 2).reshape(m, -1, self.out_channels)
        bev = splat_to_bev(vals, pts.reshape(m, -1, 3), valid.reshape(m, -1),
                           self.grid)
        cov = self.coverage(cam2img.to(x.dtype), cam2world.to(x.dtype),
                            img_hw)
        return dict(bev=bev, coverage=cov, bin_logits=logits)
