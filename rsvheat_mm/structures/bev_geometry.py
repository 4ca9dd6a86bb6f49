"""Ground-prior geometry of RS-DFM: rays, relative depth and BEV splatting.

Conventions (shared by the generator, the view transformer, the label
rasteriser and the fusion warp):

* World: x east, y north, z up; the ground is the plane ``z = z_g``
  (``z_g = 0`` in the generated data).
* Camera: OpenCV (x right, y down, z forward). ``cam2img`` is the 3x3
  intrinsic matrix K, ``cam2world`` the 4x4 camera-to-world transform
  ``[R | T]`` whose translation T is the camera centre.
* Pixels: the image spans ``[0, W] x [0, H]`` and pixel ``(row i, col j)`` has
  its centre at ``(u, v) = (j + 0.5, i + 0.5)``; a feature cell of stride s
  has its centre at ``((j + 0.5) s, (i + 0.5) s)``.
* Ray: ``a = R K^-1 [u, v, 1]^T`` (unit camera-z component, so the ray
  parameter d is the camera-frame depth) and ``X(d) = T + d a``.
* Ground depth ``d_g = (z_g - T_z) / a_z`` (only for ``a_z < 0``) and depth
  at height h above ground ``d(h) = d_g (1 - h / h_cam)`` with
  ``h_cam = T_z - z_g`` (relative depth; see ``docs/rsdfm.md``).
* BEV grid: :class:`BEVGrid`, cell ``(row i, col j)`` has the centre
  ``x = x_min + (j + 0.5) res``, ``y = y_min + (i + 0.5) res``.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

__all__ = [
    'BEVGrid', 'pixel_rays', 'ground_depth', 'depth_at_height',
    'check_poses', 'frustum_points', 'splat_to_bev'
]


@dataclass(frozen=True)
class BEVGrid:
    """A square-celled, axis-aligned BEV grid in the world (or ego) frame.

    Args:
        x_range: ``(x_min, x_max)`` in metres. Defaults to (-32, 32).
        y_range: ``(y_min, y_max)`` in metres. Defaults to (-32, 32).
        resolution: Cell size in metres. Defaults to 2.0.
    """
    x_range: Tuple[float, float] = (-32.0, 32.0)
    y_range: Tuple[float, float] = (-32.0, 32.0)
    resolution: float = 2.0

    def __post_init__(self) -> None:
        for name in ('x_range', 'y_range'):
            lo, hi = getattr(self, name)
            if not hi > lo:
                raise ValueError(f'BEVGrid.{name}={(lo, hi)} must be '
                                 f'increasing; fix the bev_grid config.')
        if not self.resolution > 0:
            raise ValueError(f'BEVGrid.resolution must be > 0, got '
                             f'{self.resolution}; fix the bev_grid config.')

    @property
    def shape(self) -> Tuple[int, int]:
        """``(H, W)`` = (rows along y, columns along x)."""
        h = round((self.y_range[1] - self.y_range[0]) / self.resolution)
        w = round((self.x_range[1] - self.x_range[0]) / self.resolution)
        return int(h), int(w)

    def cell_centres(self, dtype: torch.dtype = torch.float32,
                     device: Optional[torch.device] = None) -> Tensor:
        """World xy of every cell centre, [H, W, 2]."""
        h, w = self.shape
        xs = self.x_range[0] + (torch.arange(w, dtype=torch.float64) +
                                0.5) * self.resolution
        ys = self.y_range[0] + (torch.arange(h, dtype=torch.float64) +
                                0.5) * self.resolution
        grid = torch.stack(torch.meshgrid(xs, ys, indexing='xy'), dim=-1)
        return grid.to(dtype=dtype, device=device)

    def cell_index(self, xy: Tensor) -> Tuple[Tensor, Tensor]:
        """Flat cell index of points [..., 2] and an in-grid mask [...]."""
        h, w = self.shape
        col = torch.floor((xy[..., 0] - self.x_range[0]) / self.resolution)
        row = torch.floor((xy[..., 1] - self.y_range[0]) / self.resolution)
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        col = col.clamp(0, w - 1).long()
        row = row.clamp(0, h - 1).long()
        return row * w + col, inside


def pixel_rays(cam2img: Tensor, cam2world: Tensor, height: int, width: int,
               stride: float = 1.0) -> Tensor:
    """World ray directions ``a = R K^-1 [u, v, 1]`` of a pixel grid.

    Args:
        cam2img: Intrinsics [..., 3, 3] of the full-resolution image.
        cam2world: Camera-to-world [..., 4, 4].
        height: Rows of the (feature) grid.
        width: Columns of the (feature) grid.
        stride: Image pixels per grid cell. Defaults to 1.0.

    Returns:
        Directions [..., height, width, 3] with unit camera-z component.
    """
    dtype, device = cam2world.dtype, cam2world.device
    u = (torch.arange(width, dtype=dtype, device=device) + 0.5) * stride
    v = (torch.arange(height, dtype=dtype, device=device) + 0.5) * stride
    vv, uu = torch.meshgrid(v, u, indexing='ij')
    pix = torch.stack([uu, vv, torch.ones_like(uu)], dim=-1)  # [h, w, 3]
    kinv = torch.linalg.inv(cam2img.to(dtype))
    rot = cam2world[..., :3, :3]
    mat = rot @ kinv  # [..., 3, 3]
    return torch.einsum('...ij,hwj->...hwi', mat, pix)


def check_poses(cam2world: Tensor, ground_z: float = 0.0,
                valid: Optional[Tensor] = None, min_height: float = 1.0,
                where: str = 'cam2world') -> None:
    """Raise if a (valid) camera is not above the ground plane.

    Args:
        cam2world: Poses [..., 4, 4].
        ground_z: Ground height z_g. Defaults to 0.0.
        valid: Optional bool mask [...] of poses to check (padding agents
            are skipped). Defaults to None (check all).
        min_height: Smallest accepted ``h_cam`` in metres. Defaults to 1.0.
        where: Name of the offending input, for the message.
    """
    h_cam = cam2world[..., 2, 3] - ground_z
    bad = h_cam < min_height
    if valid is not None:
        bad = bad & valid.bool()
    if bool(bad.any()):
        idx = [tuple(i) for i in torch.nonzero(bad).tolist()]
        raise ValueError(
            f'{where}: camera(s) at index {idx[:4]} are {h_cam[bad][:4]} m '
            f'above the ground plane z={ground_z} (need >= {min_height} m). '
            f'A camera under (or on) the ground has no ground prior; fix the '
            f'poses (z of the translation column is the camera height) or '
            f'the ground_z setting.')


def ground_depth(rays: Tensor, cam_height: Tensor,
                 eps: float = 1e-6, max_depth: float = float('inf')
                 ) -> Tuple[Tensor, Tensor]:
    """Ground depth ``d_g = -h_cam / a_z`` and its validity mask.

    Args:
        rays: Directions [..., 3] (unit camera-z component).
        cam_height: ``h_cam = T_z - z_g`` broadcastable to ``rays[..., 0]``.
        eps: Rays with ``a_z >= -eps`` (horizon or sky) are masked.
            Defaults to 1e-6.
        max_depth: Rays whose ground depth exceeds this are masked
            (near-horizon clamp). Defaults to inf.

    Returns:
        ``(d_g, valid)``; masked entries of ``d_g`` are 0.
    """
    a_z = rays[..., 2]
    valid = a_z < -eps
    safe = torch.where(valid, a_z, torch.full_like(a_z, -1.0))
    d_g = -cam_height / safe
    valid = valid & (d_g <= max_depth)
    return torch.where(valid, d_g, torch.zeros_like(d_g)), valid


def depth_at_height(d_g: Tensor, heights: Tensor, cam_height: Tensor) -> Tensor:
    """Relative depth ``d(h) = d_g (1 - h / h_cam)`` on the same ray."""
    return d_g * (1.0 - heights / cam_height)


def frustum_points(cam2img: Tensor, cam2world: Tensor, feat_hw: Sequence[int],
                   stride: float, heights: Tensor, ground_z: float = 0.0,
                   eps: float = 1e-6, max_depth: float = float('inf')
                   ) -> Tuple[Tensor, Tensor]:
    """World points of every (feature pixel, height bin) and their mask.

    Args:
        cam2img: Intrinsics [M, 3, 3] of the full-resolution images.
        cam2world: Poses [M, 4, 4].
        feat_hw: ``(h, w)`` of the feature grid.
        stride: Image pixels per feature cell.
        heights: Height bins [D] (metres above ground).
        ground_z: Ground height. Defaults to 0.0.
        eps: Horizon margin of :func:`ground_depth`. Defaults to 1e-6.
        max_depth: Ground-depth clamp. Defaults to inf.

    Returns:
        ``(points [M, D, h, w, 3], valid [M, D, h, w])``.
    """
    h, w = feat_hw
    rays = pixel_rays(cam2img, cam2world, h, w, stride)  # [M, h, w, 3]
    cam_h = (cam2world[:, 2, 3] - ground_z)[:, None, None]
    d_g, ok = ground_depth(rays, cam_h, eps, max_depth)
    hk = heights.to(rays)[None, :, None, None]
    depth = depth_at_height(d_g[:, None], hk, cam_h[:, None])  # [M,D,h,w]
    pts = cam2world[:, None, None, None, :3, 3] + \
        depth[..., None] * rays[:, None]
    valid = ok[:, None] & (hk < cam_h[:, None])
    return pts, valid


def splat_to_bev(values: Tensor, points: Tensor, valid: Tensor,
                 grid: BEVGrid) -> Tensor:
    """Sum-pool point features into BEV cells (pure torch ``index_add_``).

    Args:
        values: Features [M, P, C] of P points per map.
        points: World points [M, P, 3] (only x, y are used).
        valid: Bool [M, P]; invalid or out-of-grid points are dropped.
        grid: The BEV grid.

    Returns:
        BEV maps [M, C, H, W]; the sum over cells equals the sum of the
        values of the valid in-grid points (mass conservation).
    """
    m, p, c = values.shape
    gh, gw = grid.shape
    idx, inside = grid.cell_index(points[..., :2])
    keep = (valid & inside).reshape(-1)
    flat = (idx + torch.arange(m, device=idx.device)[:, None] * gh * gw)
    flat = flat.reshape(-1)[keep]
    out = values.new_zeros(m * gh * gw, c)
    out.index_add_(0, flat, values.reshape(-1, c)[keep])
    return out.view(m, gh, gw, c).permute(0, 3, 1, 2).contiguous()
