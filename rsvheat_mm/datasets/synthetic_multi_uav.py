"""Deterministic generator of multi-UAV scenes (images, poses, BEV labels).

A scene is a flat textured ground (z = 0) with roads, box-shaped vehicles and
buildings, observed obliquely by 2-4 UAVs at 30-80 m with varied yaw and
pitch and a limited field of view, so that no single UAV sees everything.
Rendering is vectorised numpy ray casting (ray-plane and ray-OBB slab tests,
nearest hit wins, Lambertian shading, Gaussian noise). Scene ``i`` is drawn
from ``numpy.random.default_rng(seed + i)``: the same seed and index always
give identical arrays.

The on-disk format (written by :func:`generate_dataset`, read by
:class:`~rsvheat_mm.datasets.multi_uav_bev.MultiUAVBEVDataset`) is documented in
``docs/rsdfm.md``:

``<root>/meta.json``
    ``format``, ``version``, ``seed``, ``classes``, ``bev_grid`` (x_range,
    y_range, resolution), ``image_size``, the generator settings and
    per-split coverage statistics.
``<root>/<split>.txt``
    One frame file name per line (``train.txt``, ``val.txt``).
``<root>/frames/<scene>_<frame>.npz``
    ``imgs`` uint8 [N, H, W, 3]; ``cam2img`` float32 [N, 3, 3];
    ``cam2world`` float32 [N, 4, 4]; ``height`` float16 [N, H, W] (height
    above ground of the hit, -1 for sky); ``instance`` int16 [N, H, W]
    (object index + 1, 0 ground/sky); ``bev_seg`` uint8 [Hb, Wb] (0
    background, 1 vehicle, 2 building); ``boxes`` float32 [M, 7] (x, y, z
    centre, l, w, h, yaw); ``labels`` int64 [M] (0 vehicle, 1 building);
    ``visible`` bool [N, M] (>= 1 pixel of the object in that UAV's image);
    ``bev_visible`` bool [N, Hb, Wb] (cells that hold a ray hit of that UAV).
"""
import json
import math
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..structures.bev_geometry import BEVGrid

__all__ = [
    'SceneConfig', 'make_scene', 'look_at_pose', 'render_view',
    'rasterise_bev', 'generate_frame', 'generate_dataset', 'CLASSES',
    'FORMAT_NAME', 'FORMAT_VERSION'
]

#: BEV semantic classes (index 0 is background).
CLASSES: Tuple[str, ...] = ('background', 'vehicle', 'building')
FORMAT_NAME = 'rsvheat_mm.rsdfm.multi_uav'
FORMAT_VERSION = 1
_SKY = np.array([0.55, 0.70, 0.90])
_SUN = np.array([0.4, 0.3, 0.85]) / np.linalg.norm([0.4, 0.3, 0.85])
_VEHICLE_COLOURS = np.array([[0.85, 0.15, 0.10], [0.15, 0.30, 0.85],
                             [0.90, 0.80, 0.10], [0.95, 0.95, 0.95],
                             [0.10, 0.10, 0.10]])


@dataclass
class SceneConfig:
    """Settings of the generator (all lengths in metres, angles in degrees).

    Args:
        image_size: ``(H, W)`` of every rendered image. Defaults to (64, 64).
        hfov: Horizontal field of view. Defaults to 40.
        num_agents: Inclusive range of UAVs per scene. Defaults to (2, 4).
        altitude: Range of flight heights above ground. Defaults to (30, 80).
        ring_radius: Range of horizontal distance of a UAV from the scene
            centre. Defaults to (20, 40).
        look_offset: Range of the distance of a UAV's look-at point from the
            centre, towards the UAV's own side. Defaults to (12, 22).
        yaw_jitter: Max yaw deviation from the look-at direction.
            Defaults to 10.
        pitch_jitter: Max pitch deviation. Defaults to 5.
        pitch_range: Clamp of the depression angle. Defaults to (25, 75).
        num_vehicles: Inclusive range. Defaults to (4, 10).
        vehicle_size: ``((l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi))``.
            Defaults to ((4.5, 7.0), (2.2, 3.0), (1.5, 2.5)).
        num_buildings: Inclusive range. Defaults to (1, 4).
        building_size: ``((side_lo, side_hi), (h_lo, h_hi))``.
            Defaults to ((6, 12), (6, 15)).
        extent: Objects are placed in ``[-extent, extent]^2``.
            Defaults to 26.
        speed: Range of vehicle speed (m/s) along the heading.
            Defaults to (0, 3).
        frame_dt: Seconds between frames of a scene. Defaults to 0.5.
        noise: Std of the Gaussian pixel noise (on [0, 1]). Defaults to 0.02.
        bev_grid: ``dict(x_range, y_range, resolution)`` of the label grid.
            Defaults to a 32 x 32 grid of 2 m cells over [-32, 32]^2.
    """
    image_size: Tuple[int, int] = (64, 64)
    hfov: float = 40.0
    num_agents: Tuple[int, int] = (2, 4)
    altitude: Tuple[float, float] = (30.0, 80.0)
    ring_radius: Tuple[float, float] = (20.0, 40.0)
    look_offset: Tuple[float, float] = (12.0, 22.0)
    yaw_jitter: float = 10.0
    pitch_jitter: float = 5.0
    pitch_range: Tuple[float, float] = (25.0, 75.0)
    num_vehicles: Tuple[int, int] = (4, 10)
    vehicle_size: Tuple[Tuple[float, float], ...] = ((4.5, 7.0), (2.2, 3.0),
                                                     (1.5, 2.5))
    num_buildings: Tuple[int, int] = (1, 4)
    building_size: Tuple[Tuple[float, float], ...] = ((6.0, 12.0),
                                                      (6.0, 15.0))
    extent: float = 26.0
    speed: Tuple[float, float] = (0.0, 3.0)
    frame_dt: float = 0.5
    noise: float = 0.02
    bev_grid: Dict = field(default_factory=lambda: dict(
        x_range=(-32.0, 32.0), y_range=(-32.0, 32.0), resolution=2.0))

    def __post_init__(self) -> None:
        lo, hi = self.num_agents
        if not 1 <= lo <= hi:
            raise ValueError(f'SceneConfig.num_agents={self.num_agents} must '
                             f'be an increasing range of positive counts.')
        if min(self.altitude) <= 0:
            raise ValueError(f'SceneConfig.altitude={self.altitude}: UAVs '
                             f'must fly above the ground (> 0 m).')
        self.grid = BEVGrid(**self.bev_grid)


def intrinsics(image_size: Sequence[int], hfov: float) -> np.ndarray:
    """Pinhole K with square pixels and the principal point at the centre."""
    h, w = image_size
    f = (w / 2.0) / math.tan(math.radians(hfov) / 2.0)
    return np.array([[f, 0, w / 2.0], [0, f, h / 2.0], [0, 0, 1.0]])


def look_at_pose(position: Sequence[float], yaw: float,
                 pitch: float) -> np.ndarray:
    """Camera-to-world [4, 4] of an OpenCV camera (roll 0).

    Args:
        position: Camera centre (x, y, z).
        yaw: Heading of the optical axis in the xy-plane (rad, from +x).
        pitch: Depression of the optical axis below the horizon (rad).
    """
    fwd = np.array([math.cos(pitch) * math.cos(yaw),
                    math.cos(pitch) * math.sin(yaw), -math.sin(pitch)])
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = right, down, fwd
    pose[:3, 3] = position
    return pose


def _place(rng: np.random.Generator, n: int, radius_fn, extent: float,
           taken: List[Tuple[float, float, float]]) -> List[Tuple]:
    out = []
    for _ in range(n):
        for _try in range(50):
            r = radius_fn()
            x, y = rng.uniform(-extent, extent, size=2)
            if all(math.hypot(x - a, y - b) > r + rb + 0.5
                   for a, b, rb in taken):
                taken.append((x, y, r))
                out.append((x, y))
                break
    return out


def make_scene(rng: np.random.Generator, cfg: SceneConfig) -> Dict:
    """Draw objects and UAVs of one scene.

    Returns:
        Dict with ``boxes`` [M, 7] (x, y, z, l, w, h, yaw), ``labels`` [M],
        ``colours`` [M, 3], ``velocity`` [M, 2], ``texture`` parameters,
        ``cam2world`` [N, 4, 4] and ``cam2img`` [N, 3, 3].
    """
    boxes, labels, colours, vel = [], [], [], []
    taken: List[Tuple[float, float, float]] = []
    nb = int(rng.integers(cfg.num_buildings[0], cfg.num_buildings[1] + 1))
    (s_lo, s_hi), (bh_lo, bh_hi) = cfg.building_size
    for _ in range(nb):
        l, w = rng.uniform(s_lo, s_hi, size=2)
        for x, y in _place(rng, 1, lambda: math.hypot(l, w) / 2,
                           cfg.extent - 4, taken):
            h = rng.uniform(bh_lo, bh_hi)
            boxes.append([x, y, h / 2, l, w, h, rng.uniform(0, math.pi)])
            labels.append(1)
            colours.append(np.full(3, rng.uniform(0.65, 0.85)))
            vel.append([0.0, 0.0])
    nv = int(rng.integers(cfg.num_vehicles[0], cfg.num_vehicles[1] + 1))
    (l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi) = cfg.vehicle_size
    for _ in range(nv):
        l, w, h = (rng.uniform(l_lo, l_hi), rng.uniform(w_lo, w_hi),
                   rng.uniform(h_lo, h_hi))
        for x, y in _place(rng, 1, lambda: l / 2, cfg.extent, taken):
            yaw = rng.uniform(-math.pi, math.pi)
            boxes.append([x, y, h / 2, l, w, h, yaw])
            labels.append(0)
            colours.append(_VEHICLE_COLOURS[rng.integers(
                len(_VEHICLE_COLOURS))] * rng.uniform(0.85, 1.0))
            speed = rng.uniform(*cfg.speed)
            vel.append([speed * math.cos(yaw), speed * math.sin(yaw)])
    texture = dict(freq=rng.uniform(0.03, 0.25, size=(4, 2)) *
                   rng.choice([-1, 1], size=(4, 2)),
                   phase=rng.uniform(0, 2 * math.pi, size=4),
                   roads=rng.uniform(-20, 20, size=2),
                   tint=rng.uniform(-0.05, 0.05, size=3))

    n = int(rng.integers(cfg.num_agents[0], cfg.num_agents[1] + 1))
    phi0 = rng.uniform(0, 2 * math.pi)
    k = intrinsics(cfg.image_size, cfg.hfov)
    poses = []
    for i in range(n):
        phi = phi0 + 2 * math.pi * i / n + rng.uniform(-0.25, 0.25)
        rho = rng.uniform(*cfg.ring_radius)
        alt = rng.uniform(*cfg.altitude)
        pos = np.array([rho * math.cos(phi), rho * math.sin(phi), alt])
        off = rng.uniform(*cfg.look_offset)
        target = np.array([off * math.cos(phi), off * math.sin(phi)])
        target += rng.uniform(-3, 3, size=2)
        d = target - pos[:2]
        yaw = math.atan2(d[1], d[0]) + math.radians(
            rng.uniform(-cfg.yaw_jitter, cfg.yaw_jitter))
        pitch = math.degrees(math.atan2(alt, np.linalg.norm(d)))
        pitch += rng.uniform(-cfg.pitch_jitter, cfg.pitch_jitter)
        pitch = float(np.clip(pitch, *cfg.pitch_range))
        poses.append(look_at_pose(pos, yaw, math.radians(pitch)))
    return dict(boxes=np.array(boxes, dtype=np.float64).reshape(-1, 7),
                labels=np.array(labels, dtype=np.int64),
                colours=np.array(colours, dtype=np.float64).reshape(-1, 3),
                velocity=np.array(vel, dtype=np.float64).reshape(-1, 2),
                texture=texture, cam2world=np.stack(poses),
                cam2img=np.repeat(k[None], n, axis=0))


def ground_colour(xy: np.ndarray, texture: Dict) -> np.ndarray:
    """Procedural ground albedo (low-frequency noise plus two roads)."""
    arg = xy @ texture['freq'].T + texture['phase']  # [P, 4]
    noise = np.sin(arg).mean(-1, keepdims=True)
    base = np.array([0.33, 0.42, 0.22]) + texture['tint']
    col = base + 0.08 * noise * np.array([1.0, 0.8, 0.5])
    rx, ry = texture['roads']
    road = (np.abs(xy[:, :1] - rx) < 2.5) | (np.abs(xy[:, 1:] - ry) < 2.5)
    return np.where(road, np.array([0.42, 0.42, 0.44]), col)


def _ray_boxes(origin: np.ndarray, dirs: np.ndarray,
               boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Entry distance [P, M] (inf = miss) and world normal [P, M, 3]."""
    p, m = dirs.shape[0], boxes.shape[0]
    if m == 0:
        return np.full((p, 0), np.inf), np.zeros((p, 0, 3))
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    rel = origin[None, :2] - boxes[:, :2]  # [M, 2]
    o = np.stack([c * rel[:, 0] + s * rel[:, 1],
                  -s * rel[:, 0] + c * rel[:, 1],
                  np.full(m, origin[2])], -1)  # box frame, z from ground
    d = np.stack([c[None] * dirs[:, :1] + s[None] * dirs[:, 1:2],
                  -s[None] * dirs[:, :1] + c[None] * dirs[:, 1:2],
                  np.broadcast_to(dirs[:, 2:3], (p, m))], -1)  # [P, M, 3]
    lo = np.stack([-boxes[:, 3] / 2, -boxes[:, 4] / 2, np.zeros(m)], -1)
    hi = np.stack([boxes[:, 3] / 2, boxes[:, 4] / 2, boxes[:, 5]], -1)
    with np.errstate(divide='ignore', invalid='ignore'):
        inv = 1.0 / np.where(np.abs(d) < 1e-12, 1e-12, d)
        t1 = (lo[None] - o[None]) * inv
        t2 = (hi[None] - o[None]) * inv
    tmin, tmax = np.minimum(t1, t2), np.maximum(t1, t2)
    t_near = tmin.max(-1)
    t_far = tmax.min(-1)
    hit = (t_near <= t_far) & (t_near > 0)
    axis = tmin.argmax(-1)  # [P, M]
    n_local = np.zeros((p, m, 3))
    sign = -np.sign(np.take_along_axis(d, axis[..., None], -1))[..., 0]
    np.put_along_axis(n_local, axis[..., None], sign[..., None], -1)
    normal = np.stack([c * n_local[..., 0] - s * n_local[..., 1],
                       s * n_local[..., 0] + c * n_local[..., 1],
                       n_local[..., 2]], -1)
    return np.where(hit, t_near, np.inf), normal


def render_view(scene: Dict, boxes: np.ndarray, agent: int,
                cfg: SceneConfig, rng: np.random.Generator) -> Dict:
    """Ray-cast one UAV image with per-pixel height and instance labels."""
    h, w = cfg.image_size
    pose, k = scene['cam2world'][agent], scene['cam2img'][agent]
    v, u = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing='ij')
    pix = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3)
    dirs = pix @ (pose[:3, :3] @ np.linalg.inv(k)).T  # [P, 3]
    origin = pose[:3, 3]
    t_box, normals = _ray_boxes(origin, dirs, boxes)
    with np.errstate(divide='ignore'):
        t_ground = np.where(dirs[:, 2] < -1e-9, -origin[2] / dirs[:, 2],
                            np.inf)
    if boxes.shape[0]:
        nearest = t_box.argmin(-1)
        t_obj = t_box[np.arange(len(dirs)), nearest]
    else:
        nearest = np.zeros(len(dirs), dtype=np.int64)
        t_obj = np.full(len(dirs), np.inf)
    is_obj = t_obj < t_ground
    t_hit = np.where(is_obj, t_obj, t_ground)
    sky = ~np.isfinite(t_hit)
    pts = origin + np.where(sky, 0, t_hit)[:, None] * dirs
    rgb = np.tile(_SKY, (len(dirs), 1))
    gmask = ~is_obj & ~sky
    rgb[gmask] = ground_colour(pts[gmask, :2], scene['texture']) * (
        0.45 + 0.55 * _SUN[2])
    if is_obj.any():
        idx = nearest[is_obj]
        nrm = normals[np.arange(len(dirs)), nearest][is_obj]
        shade = 0.45 + 0.55 * np.clip(nrm @ _SUN, 0, None)
        rgb[is_obj] = scene['colours'][idx] * shade[:, None]
    rgb = rgb + rng.normal(0, cfg.noise, size=rgb.shape)
    height = np.where(sky, -1.0, np.where(is_obj, pts[:, 2], 0.0))
    inst = np.where(is_obj, nearest + 1, 0)
    return dict(img=(np.clip(rgb, 0, 1) * 255).round().astype(
        np.uint8).reshape(h, w, 3),
        height=height.reshape(h, w), instance=inst.reshape(h, w),
        hits=pts[~sky, :2])


def rasterise_bev(boxes: np.ndarray, labels: np.ndarray, grid: BEVGrid,
                  supersample: int = 4, min_fraction: float = 0.3
                  ) -> np.ndarray:
    """BEV semantic raster (0 background, 1 vehicle, 2 building).

    A cell takes an object's class when at least ``min_fraction`` of its
    ``supersample^2`` sub-points fall inside the object's rotated footprint;
    buildings win over vehicles. Defaults: 4 and 0.3.
    """
    gh, gw = grid.shape
    s = supersample
    sub = (np.arange(s) + 0.5) / s
    xs = grid.x_range[0] + (np.arange(gw)[:, None] + sub[None]).reshape(
        -1) * grid.resolution
    ys = grid.y_range[0] + (np.arange(gh)[:, None] + sub[None]).reshape(
        -1) * grid.resolution
    yy, xx = np.meshgrid(ys, xs, indexing='ij')
    out = np.zeros((gh, gw), dtype=np.uint8)
    for cls in (0, 1):  # vehicles first, buildings overwrite
        for b in boxes[labels == cls]:
            c, sn = math.cos(b[6]), math.sin(b[6])
            dx, dy = xx - b[0], yy - b[1]
            inside = (np.abs(c * dx + sn * dy) <= b[3] / 2) & \
                (np.abs(-sn * dx + c * dy) <= b[4] / 2)
            frac = inside.reshape(gh, s, gw, s).mean((1, 3))
            out[frac >= min_fraction] = cls + 1
    return out


def generate_frame(seed: int, index: int, frame: int = 0,
                   cfg: Optional[SceneConfig] = None) -> Dict[str, np.ndarray]:
    """All arrays of one frame of scene ``index`` (see the module doc)."""
    cfg = cfg or SceneConfig()
    rng = np.random.default_rng(seed + index)
    scene = make_scene(rng, cfg)
    boxes = scene['boxes'].copy()
    boxes[:, :2] += scene['velocity'] * frame * cfg.frame_dt
    noise_rng = np.random.default_rng([seed + index, frame])
    grid = cfg.grid
    views = [render_view(scene, boxes, i, cfg, noise_rng)
             for i in range(len(scene['cam2world']))]
    m = boxes.shape[0]
    visible = np.zeros((len(views), m), dtype=bool)
    bev_vis = np.zeros((len(views), ) + grid.shape, dtype=bool)
    gh, gw = grid.shape
    for i, view in enumerate(views):
        ids = np.unique(view['instance'])
        visible[i, ids[ids > 0] - 1] = True
        col = np.floor((view['hits'][:, 0] - grid.x_range[0]) /
                       grid.resolution).astype(int)
        row = np.floor((view['hits'][:, 1] - grid.y_range[0]) /
                       grid.resolution).astype(int)
        ok = (col >= 0) & (col < gw) & (row >= 0) & (row < gh)
        bev_vis[i, row[ok], col[ok]] = True
    return dict(
        imgs=np.stack([v['img'] for v in views]),
        cam2img=scene['cam2img'].astype(np.float32),
        cam2world=scene['cam2world'].astype(np.float32),
        height=np.stack([v['height'] for v in views]).astype(np.float16),
        instance=np.stack([v['instance'] for v in views]).astype(np.int16),
        bev_seg=rasterise_bev(boxes, scene['labels'], grid),
        boxes=boxes.astype(np.float32), labels=scene['labels'],
        visible=visible, bev_visible=bev_vis)


def generate_dataset(root: str, num_train: int = 64, num_val: int = 16,
                     seed: int = 0, num_frames: int = 1,
                     cfg: Optional[SceneConfig] = None) -> Dict:
    """Write a dataset to ``root`` (format in the module doc).

    Args:
        root: Output folder (created).
        num_train: Training scenes. Defaults to 64.
        num_val: Held-out scenes (disjoint scene indices). Defaults to 16.
        seed: Base seed; scene i uses ``default_rng(seed + i)``.
            Defaults to 0.
        num_frames: Frames per scene (vehicles move along their heading).
            Defaults to 1.
        cfg: Generator settings. Defaults to ``SceneConfig()``.

    Returns:
        The ``meta.json`` content.
    """
    import os
    cfg = cfg or SceneConfig()
    if num_train < 0 or num_val < 0 or num_frames < 1:
        raise ValueError('generate_dataset: num_train/num_val must be >= 0 '
                         'and num_frames >= 1.')
    os.makedirs(osp.join(root, 'frames'), exist_ok=True)
    stats = {}
    splits = dict(train=range(num_train),
                  val=range(num_train, num_train + num_val))
    for split, indices in splits.items():
        names, single, union, agents = [], [], [], []
        for i in indices:
            for f in range(num_frames):
                arrays = generate_frame(seed, i, f, cfg)
                name = f'{i:05d}_{f:02d}.npz'
                np.savez_compressed(osp.join(root, 'frames', name), **arrays)
                names.append(name)
                vis = arrays['bev_visible']
                single.append(vis.mean((1, 2)).max())
                union.append(vis.any(0).mean())
                agents.append(len(vis))
        with open(osp.join(root, f'{split}.txt'), 'w') as fh:
            fh.write('\n'.join(names) + ('\n' if names else ''))
        stats[split] = dict(
            frames=len(names),
            mean_agents=float(np.mean(agents)) if agents else 0.0,
            mean_best_single_coverage=float(np.mean(single)) if single
            else 0.0,
            mean_union_coverage=float(np.mean(union)) if union else 0.0)
    settings = asdict(cfg)
    meta = dict(format=FORMAT_NAME, version=FORMAT_VERSION, seed=seed,
                num_frames=num_frames, classes=list(CLASSES),
                box_format='x y z l w h yaw (z = box centre)',
                bev_grid=dict(x_range=list(cfg.grid.x_range),
                              y_range=list(cfg.grid.y_range),
                              resolution=cfg.grid.resolution),
                image_size=list(cfg.image_size), settings=settings,
                stats=stats)
    with open(osp.join(root, 'meta.json'), 'w') as fh:
        json.dump(meta, fh, indent=2, default=float)
    return meta
