"""Per-band mean / std and value range of a config's training images.

Streams the training split of ``CONFIG`` once (one image in memory at a
time, float64 accumulators, a progress bar) through the config's own loading
and value transforms -- the test pipeline by default, which is deterministic;
``--pipeline train`` uses the training one -- stopping before the ``Pack*``
transform, so the numbers describe what the data preprocessor normalises
(e.g. after ``SARLogScale``). Any dtype and band count; multi-image samples
(optical + SAR, change pairs) are concatenated along bands as the packers do.
Bands are reported in the order the model sees them: when the config's data
preprocessor converts BGR to RGB (``bgr_to_rgb`` / ``to_rgb``), 3-band images
are flipped first.

Prints a table and a ready ``data_preprocessor`` snippet; ``--out`` also
writes the numbers as JSON.

Example::

    python tools/analysis_tools/dataset_stats.py \\
        configs/faster_rcnn/faster-rcnn_rsvheat-b_fpn_1x_sar-aircraft.py
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--pipeline', choices=('test', 'train'), default='test',
                   help='pipeline applied to the training images (default: '
                   'the deterministic test pipeline)')
    p.add_argument('--max-images', type=int, default=None,
                   help='stop after this many images (default: all)')
    p.add_argument('--out', default=None, help='also write JSON here')
    p.add_argument('--cfg-options', nargs='+', default=[],
                   help='key=value overrides, as tools/train.py')
    return p.parse_args(argv)


class BandStats:
    """Streaming per-band count, mean, M2 (Chan et al.), min and max."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: Optional[np.ndarray] = None
        self.m2: Optional[np.ndarray] = None
        self.min: Optional[np.ndarray] = None
        self.max: Optional[np.ndarray] = None
        self.dtypes: set = set()

    def update(self, img: np.ndarray) -> None:
        """Add one ``[H, W, C]`` image."""
        self.dtypes.add(str(img.dtype))
        x = img.reshape(-1, img.shape[-1]).astype(np.float64)
        n = x.shape[0]
        mean = x.mean(0)
        m2 = ((x - mean)**2).sum(0)
        if self.mean is None:
            self.n, self.mean, self.m2 = n, mean, m2
            self.min, self.max = x.min(0), x.max(0)
            return
        if mean.shape != self.mean.shape:
            raise ValueError(f'images have {len(self.mean)} and {len(mean)} '
                             f'bands; every image of a split must have the '
                             f'same bands.')
        total = self.n + n
        delta = mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta**2 * self.n * n / total
        self.n = total
        self.min = np.minimum(self.min, x.min(0))
        self.max = np.maximum(self.max, x.max(0))

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation per band."""
        return np.sqrt(self.m2 / self.n)


def _inner(ds_cfg: dict) -> dict:
    """The dataset config inside wrappers (RepeatDataset, ...)."""
    while 'dataset' in ds_cfg and 'pipeline' not in ds_cfg:
        ds_cfg = ds_cfg['dataset']
    return ds_cfg


def _image(results: dict, bgr_to_rgb: bool) -> np.ndarray:
    img = results['img']
    imgs = img if isinstance(img, (list, tuple)) else [img]
    if isinstance(img, dict):  # multi-modal pretraining samples
        imgs = list(img.values())
    imgs = [np.asarray(im) for im in imgs]
    imgs = [im[..., None] if im.ndim == 2 else im for im in imgs]
    if bgr_to_rgb:
        imgs = [im[..., ::-1] if im.shape[-1] == 3 else im for im in imgs]
    return np.concatenate(imgs, axis=-1) if len(imgs) > 1 else imgs[0]


def compute(cfg, pipeline: str = 'test',
            max_images: Optional[int] = None) -> Dict[str, object]:
    """Statistics of ``cfg``'s training split.

    Returns:
        dict ``mean``, ``std``, ``min``, ``max`` (lists per band),
        ``images``, ``pixels``, ``dtypes``, ``bgr_to_rgb``.
    """
    from mmengine.dataset import Compose
    from mmengine.registry import DATASETS, init_default_scope

    from rsvheat_mm.datasets.prepare_io import progress
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    train = _inner(cfg.train_dataloader.dataset)
    if pipeline == 'test':
        loader = cfg.get('val_dataloader') or cfg.get('test_dataloader')
        steps = _inner(loader.dataset)['pipeline'] if loader else \
            train['pipeline']
    else:
        steps = train['pipeline']
    steps = [t for t in steps if not str(t['type']).split('.')[-1]
             .startswith('Pack')]
    ds_cfg = dict(train, pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    transform = Compose(steps)
    pre = cfg.get('model', {}).get('data_preprocessor', {}) or {}
    bgr = bool(pre.get('bgr_to_rgb', pre.get('to_rgb', False)))
    n = len(dataset) if max_images is None else min(len(dataset),
                                                    max_images)
    if n == 0:
        raise ValueError(f'the training split of {cfg.filename} is empty.')
    stats = BandStats()
    for i in progress(range(n), n, 'dataset statistics'):
        results = transform(dataset.get_data_info(i))
        if results is None:
            raise ValueError(f'the pipeline dropped training image {i} '
                             f'({dataset.get_data_info(i).get("img_path")})')
        stats.update(_image(results, bgr))
    return dict(mean=stats.mean.tolist(), std=stats.std.tolist(),
                min=stats.min.tolist(), max=stats.max.tolist(), images=n,
                pixels=int(stats.n), dtypes=sorted(stats.dtypes),
                bgr_to_rgb=bgr)


def snippet(res: Dict[str, object]) -> str:
    """A ``data_preprocessor`` block to paste into the config."""
    def fmt(vals: List[float]) -> str:
        return '[' + ', '.join(f'{v:.3f}' for v in vals) + ']'

    return (f'# tools/analysis_tools/dataset_stats.py: {res["images"]} '
            f'training images, {len(res["mean"])} band(s), '
            f'{"/".join(res["dtypes"])}, range {fmt(res["min"])} .. '
            f'{fmt(res["max"])}\n'
            f'model = dict(data_preprocessor=dict(\n'
            f'    mean={fmt(res["mean"])},\n'
            f'    std={fmt(res["std"])}))')


def main(argv=None) -> Dict[str, object]:
    args = parse_args(argv)
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        opts = argparse.ArgumentParser()
        opts.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(opts.parse_args(['--o'] +
                                            args.cfg_options).o)
    res = compute(cfg, args.pipeline, args.max_images)
    print(f'{"band":>4} {"mean":>12} {"std":>12} {"min":>12} {"max":>12}')
    for b, vals in enumerate(zip(res['mean'], res['std'], res['min'],
                                 res['max'])):
        print(f'{b:>4} ' + ' '.join(f'{v:12.4f}' for v in vals))
    print(snippet(res))
    if args.out:
        tmp = args.out + '.part'
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(tmp, 'w') as f:
            json.dump(res, f, indent=2)
        os.replace(tmp, args.out)
    return res


if __name__ == '__main__':
    main()
