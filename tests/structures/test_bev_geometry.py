"""Ground-prior geometry: ray-plane identities, relative depth, splatting."""
import math

import numpy as np
import pytest
import torch

from rsvheat_mm.structures.bev_geometry import (BEVGrid, check_poses, depth_at_height,
                                       frustum_points, ground_depth,
                                       pixel_rays, splat_to_bev)
from rsvheat_mm.datasets.synthetic_multi_uav import intrinsics, look_at_pose, rasterise_bev
from rsvheat_mm.models.rsdfm.view_transformer import GroundPriorViewTransformer


def _random_cameras(n, seed, dtype=torch.float64):
    rng = np.random.default_rng(seed)
    poses, ks = [], []
    for _ in range(n):
        pos = [rng.uniform(-40, 40), rng.uniform(-40, 40),
               rng.uniform(20, 90)]
        poses.append(look_at_pose(pos, rng.uniform(-math.pi, math.pi),
                                  math.radians(rng.uniform(20, 80))))
        ks.append(intrinsics((48, 64), rng.uniform(30, 70)))
    return (torch.tensor(np.stack(ks), dtype=dtype),
            torch.tensor(np.stack(poses), dtype=dtype))


def _plane_hit(origin, direction, z):
    """Reference ray-plane intersection in numpy float64 (no shared code)."""
    t = (z - origin[2]) / direction[2]
    return origin + t * direction


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_ground_depth_equals_ray_plane_intersection(seed):
    k, pose = _random_cameras(3, seed)
    ground_z = float(np.random.default_rng(seed).uniform(-5, 5))
    pose[:, 2, 3] += ground_z
    rays = pixel_rays(k, pose, 48, 64)
    cam_h = (pose[:, 2, 3] - ground_z)[:, None, None]
    d_g, valid = ground_depth(rays, cam_h)
    rng = np.random.default_rng(100 + seed)
    checked = 0
    for m in range(3):
        kinv = np.linalg.inv(k[m].numpy())
        rot, t = pose[m, :3, :3].numpy(), pose[m, :3, 3].numpy()
        for _ in range(30):
            i, j = rng.integers(48), rng.integers(64)
            a = rot @ kinv @ np.array([j + 0.5, i + 0.5, 1.0])
            if a[2] >= 0:
                assert not valid[m, i, j]
                continue
            ref = _plane_hit(t, a, ground_z)
            got = t + d_g[m, i, j].item() * rays[m, i, j].numpy()
            assert valid[m, i, j]
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-9)
            # d is the camera-frame depth (z of the point in camera frame)
            cam = rot.T @ (ref - t)
            assert cam[2] == pytest.approx(d_g[m, i, j].item(), rel=1e-10)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize('h', [0.0, 1.5, 5.0, 12.3])
def test_relative_depth_point_is_at_height(h):
    k, pose = _random_cameras(4, 7)
    rays = pixel_rays(k, pose, 48, 64)
    cam_h = pose[:, 2, 3][:, None, None]
    d_g, valid = ground_depth(rays, cam_h)
    d_h = depth_at_height(d_g, torch.tensor(h, dtype=torch.float64), cam_h)
    pts = pose[:, None, None, :3, 3] + d_h[..., None] * rays
    z = pts[..., 2][valid]
    np.testing.assert_allclose(z.numpy(), h, rtol=0, atol=1e-9)
    # ratio form d(h) / d_g == 1 - h / h_cam (independent of pitch, pixel)
    ratio = (d_h / torch.where(valid, d_g, torch.ones_like(d_g)))[valid]
    expect = (1 - h / cam_h.expand_as(d_g))[valid]
    np.testing.assert_allclose(ratio.numpy(), expect.numpy(), rtol=1e-12)


def test_sky_rays_are_masked():
    # camera looking slightly up: the upper image rows see sky
    pose = torch.tensor(look_at_pose([0, 0, 50], 0.0, math.radians(10)))
    k = torch.tensor(intrinsics((48, 64), 60))
    rays = pixel_rays(k[None], pose[None], 48, 64)
    d_g, valid = ground_depth(rays, torch.tensor(50.0))
    assert (~valid[0, 0]).all() and valid[0, -1].all()
    assert (d_g[~valid] == 0).all()
    up = rays[..., 2] >= 0
    assert not (valid & up).any()


def test_camera_under_ground_is_a_clear_error():
    k, pose = _random_cameras(2, 3)
    pose[1, 2, 3] = -4.0
    with pytest.raises(ValueError, match='under .*the ground'):
        check_poses(pose)
    vt = GroundPriorViewTransformer(8, 4)
    with pytest.raises(ValueError, match='cam2world'):
        vt(torch.randn(2, 8, 6, 8), k.float(), pose.float(), (48, 64))
    # padding agents (valid=False) are not checked
    check_poses(pose, valid=torch.tensor([True, False]))


def test_splat_conserves_mass_and_uses_label_axes():
    grid = BEVGrid((-20.0, 12.0), (-8.0, 24.0), 2.0)
    assert grid.shape == (16, 16)
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(3, 500, 3, generator=g, dtype=torch.float64) * 60 - 30
    vals = torch.randn(3, 500, 5, generator=g, dtype=torch.float64)
    valid = torch.rand(3, 500, generator=g) > 0.3
    bev = splat_to_bev(vals, pts, valid, grid)
    _, inside = grid.cell_index(pts[..., :2])
    keep = valid & inside
    ref = (vals * keep[..., None]).sum(1)
    np.testing.assert_allclose(bev.sum((2, 3)).numpy(), ref.numpy(),
                               rtol=1e-12)
    # every point lands in the cell whose centre the label rasteriser uses
    centres = grid.cell_centres(torch.float64)
    for m, p in [(0, 3), (1, 10), (2, 42)]:
        if not keep[m, p]:
            continue
        one = torch.zeros_like(vals[:, :, :1])
        one[m, p] = 1
        cell = splat_to_bev(one, pts, keep, grid)[m, 0]
        i, j = np.argwhere(cell.numpy() == 1)[0]
        c = centres[i, j].numpy()
        assert abs(c[0] - pts[m, p, 0].item()) <= 1.0
        assert abs(c[1] - pts[m, p, 1].item()) <= 1.0
    # the rasteriser marks the same (row=y, col=x) cell for a box there
    box = np.array([[centres[3, 11, 0].item(), centres[3, 11, 1].item(), 1,
                     1.5, 1.5, 2, 0.3]])
    ras = rasterise_bev(box, np.array([0]), grid)
    assert ras[3, 11] == 1 and ras.sum() == 1


def test_known_ground_point_lifts_to_its_cell():
    grid = BEVGrid()
    pose = torch.tensor(look_at_pose([-30, 5, 45], 0.2, math.radians(50)))
    k = torch.tensor(intrinsics((64, 64), 45))
    target = np.array([3.3, -7.1, 0.0])
    cam = pose[:3, :3].numpy().T @ (target - pose[:3, 3].numpy())
    uv = (k.numpy() @ cam)[:2] / cam[2]
    stride = 4
    j, i = int(uv[0] // stride), int(uv[1] // stride)
    pts, valid = frustum_points(k[None], pose[None], (16, 16), stride,
                                torch.tensor([0.0, 2.0], dtype=torch.float64))
    p = pts[0, 0, i, j]
    # the feature cell's centre ray hits the ground within half a cell's
    # footprint of the target and lands in the target's BEV cell (or next)
    idx, inside = grid.cell_index(p[None, :2])
    tidx, _ = grid.cell_index(torch.tensor(target[None, :2]))
    w = grid.shape[1]
    assert inside.all() and valid[0, 0, i, j]
    assert abs(int(idx) // w - int(tidx) // w) <= 1
    assert abs(int(idx) % w - int(tidx) % w) <= 1
    assert p[2].item() == pytest.approx(0.0, abs=1e-9)
    assert pts[0, 1, i, j, 2].item() == pytest.approx(2.0, abs=1e-9)


def test_view_transformer_mass_and_coverage():
    torch.manual_seed(0)
    k, pose = _random_cameras(2, 11, torch.float32)
    pose[:, 0, 3] *= 0.2
    pose[:, 1, 3] *= 0.2
    vt = GroundPriorViewTransformer(6, 5, lift_upsample=1,
                                    bev_grid=dict(x_range=(-400, 400),
                                                  y_range=(-400, 400),
                                                  resolution=8.0),
                                    depth_range=(1.0, 1e4))
    feats = torch.randn(2, 6, 12, 16)
    out = vt(feats, k, pose, (48, 64))
    x = vt.proj(feats)
    ctx, prob = x[:, :5], x[:, 5:].softmax(1)
    pts, valid = vt.points(k, pose, (12, 16), 4.0)
    _, inside = vt.grid.cell_index(pts[..., :2])
    keep = (valid & inside).float()  # [M, D, h, w]
    ref = torch.einsum('mdhw,mchw,mdhw->mc', prob, ctx, keep)
    torch.testing.assert_close(out['bev'].sum((2, 3)), ref, rtol=1e-4,
                               atol=1e-4)
    assert out['coverage'].shape == (2, 1, 100, 100)
    assert 0 < out['coverage'].mean() < 1
