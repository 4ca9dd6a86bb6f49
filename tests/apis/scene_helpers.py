"""Shared helpers of the scene-inference tests: generated GeoTIFF scenes and
tiny configs built from the shipped ones."""
import copy
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SEG_CFG = 'configs/upernet/upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py'
POLSAR_CFG = ('configs/upernet/'
              'upernet_rsvheat-b_8xb2-40k_air-polsar-seg-512x512.py')
CD_CFG = ('configs/changedet/'
          'siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py')
DOTA_CFG = 'configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py'
#: UTM 50N (China east coast), 0.5 m pixels
CRS = 'EPSG:32650'
ORIGIN = (500000.0, 3500000.0)
RES = 0.5


def geotransform(x0: float = ORIGIN[0], y0: float = ORIGIN[1],
                 res: float = RES):
    from affine import Affine
    return Affine(res, 0.0, x0, 0.0, -res, y0)


def write_tif(path, arr: np.ndarray, crs=CRS, transform=None,
              tiled: bool = True) -> Path:
    """Write ``[H, W, C]`` (or ``[H, W]``) as a GeoTIFF with a real CRS."""
    import rasterio
    arr = arr if arr.ndim == 3 else arr[..., None]
    h, w, c = arr.shape
    profile = dict(driver='GTiff', width=w, height=h, count=c,
                   dtype=arr.dtype.name)
    if tiled and w >= 16 and h >= 16:
        profile.update(tiled=True, blockxsize=16 * max(1, min(w, 256) // 16),
                       blockysize=16 * max(1, min(h, 256) // 16))
    if crs is not None:
        profile.update(crs=crs, transform=transform or geotransform())
    with rasterio.open(str(path), 'w', **profile) as dst:
        dst.write(np.moveaxis(arr, -1, 0))
    return Path(path)


def smooth_scene(h: int, w: int, c: int = 3, dtype=np.uint8,
                 seed: int = 0, scale: float = 255.) -> np.ndarray:
    """Blobs and stripes (spatially structured, not white noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.zeros((h, w, c), np.float32)
    for k in range(c):
        f = np.zeros((h, w), np.float32)
        for _ in range(6):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.uniform(10, 40)
            f += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        f += 0.3 * np.sin(xx / rng.uniform(5, 15) + k)
        f = (f - f.min()) / max(f.max() - f.min(), 1e-6)
        out[..., k] = f * scale
    if np.issubdtype(dtype, np.integer):
        return np.clip(np.rint(out), 0, np.iinfo(dtype).max).astype(dtype)
    return out.astype(dtype)


TINY_SEG = dict(embed_dims=8, depths=[1, 1, 1, 1])


def tiny_seg_cfg(path: str = SEG_CFG, channels=None):
    """A shipped segmentation / CD config with a tiny RSvHeat and heads."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / path))
    m = cfg.model
    m.backbone.update(arch=copy.deepcopy(TINY_SEG), img_size=64,
                      drop_path_rate=0.)
    m.decode_head.update(in_channels=[8, 16, 32, 64], channels=16)
    m.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
    if m.get('auxiliary_head'):
        m.auxiliary_head.update(in_channels=32, channels=8)
        m.auxiliary_head.norm_cfg = dict(type='BN', requires_grad=True)
    if channels is not None:
        m.backbone.in_channels = channels
    return cfg


def tiny_det_cfg(path: str = DOTA_CFG):
    import sys
    sys.path.insert(0, str(REPO / 'tests'))
    from det_helpers import rbox_pipelines, shrink_model
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / path))
    shrink_model(cfg.model)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    _, test_p = rbox_pipelines(256, test_ann=False)
    # scenes come at their own resolution (no thumbnail frame resize)
    cfg.test_dataloader.dataset.pipeline = [
        t for t in test_p if t['type'] != 'ResizeToAnnotationFrame']
    return cfg


def save_checkpoint(model, path, meta=None) -> Path:
    """A plain mmengine-style checkpoint of the model's current weights."""
    import torch
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=meta or {})), str(path))
    return Path(path)


def dump_cfg(cfg, path) -> Path:
    cfg.dump(str(path))
    return Path(path)


def threshold_labels(arr: np.ndarray) -> np.ndarray:
    """A local labelling of a ``smooth_scene`` RGB image into the 6 classes
    of the Potsdam config: red > 128, green > 128 (x2), blue > 200 (x4),
    clipped to 5."""
    a = arr.astype(np.int32)
    lab = ((a[..., 0] > 128).astype(np.int64) + 2 * (a[..., 1] > 128)
           + 4 * (a[..., 2] > 200))
    return lab.clip(0, 5)


def train_tiny_seg(model, iters: int = 150, size: int = 128,
                   batch: int = 4, seed: int = 0):
    """Train a tiny segmentor a few iterations on generated scenes labelled
    by :func:`threshold_labels` (CPU, ~10 s for 150 iterations), so its
    logits have the margins of a trained model. Returns the model in eval
    mode."""
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model.data_preprocessor.size = (size, size)
    opt = torch.optim.AdamW(model.parameters(), 3e-3)
    model.train()
    for _ in range(iters):
        imgs, samples = [], []
        for _ in range(batch):
            a = smooth_scene(size, size, 3, np.uint8,
                             seed=int(rng.integers(1 << 30)))
            imgs.append(torch.from_numpy(a[..., ::-1].copy()).permute(2, 0, 1))
            s = SegDataSample(metainfo=dict(img_shape=(size, size),
                                            pad_shape=(size, size),
                                            ori_shape=(size, size)))
            s.gt_sem_seg = PixelData(
                data=torch.from_numpy(threshold_labels(a))[None])
            samples.append(s)
        data = model.data_preprocessor(dict(inputs=imgs,
                                            data_samples=samples), True)
        losses = model.loss(data['inputs'], data['data_samples'])
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def gcp_grid(width: int, height: int, step: int = 50):
    """Ground control points on a grid, in UTM 50N, of a scene rotated by
    ~10 degrees at 0.5 m (an affine relation, so GDAL's GCP transformer
    reproduces it exactly)."""
    from rasterio.control import GroundControlPoint
    ca, sa = 0.5 * np.cos(0.17), 0.5 * np.sin(0.17)
    out = []
    for r in list(range(0, height, step)) + [height]:
        for c in list(range(0, width, step)) + [width]:
            out.append(GroundControlPoint(
                row=r, col=c, x=ORIGIN[0] + ca * c + sa * r,
                y=ORIGIN[1] + sa * c - ca * r))
    return out


def gcp_affine():
    """The affine :func:`gcp_grid` samples."""
    from affine import Affine
    ca, sa = 0.5 * np.cos(0.17), 0.5 * np.sin(0.17)
    return Affine(ca, sa, ORIGIN[0], sa, -ca, ORIGIN[1])


def write_gcp_tif(path, arr: np.ndarray, crs=CRS) -> Path:
    """``[H, W, C]`` as a GeoTIFF georeferenced by GCPs only (as SAR
    products such as Sentinel-1 GRD ship)."""
    import rasterio
    h, w, c = arr.shape
    with rasterio.open(str(path), 'w', driver='GTiff', width=w, height=h,
                       count=c, dtype=arr.dtype.name,
                       gcps=gcp_grid(w, h), crs=crs) as dst:
        dst.write(np.moveaxis(arr, -1, 0))
    return Path(path)
