"""Whole-scene inference for detection, segmentation and change detection.

A scene (GeoTIFF / COG of any band count and dtype, or PNG / JPEG) is read
window by window (:mod:`.raster_io`), each batch of windows goes through the
config's test pipeline (loading replaced by the window, ground-truth steps
dropped) and the model, and the results are stitched with bounded memory:

* segmentation / change detection: window logits blended with a smooth
  window weight (:class:`~.scene_blending.RowBlender`), written as a tiled,
  compressed single-band GeoTIFF of class indices with the scene's transform,
  CRS and a colour table from the dataset palette; change regions also as
  GeoJSON polygons;
* detection: :func:`~.tiled_inference.tiled_inference` (class-wise
  (rotated) NMS over tiles), written as GeoJSON (one polygon per object, in
  the scene's CRS when it has one) and as DOTA-style txt;
* every task: a downsampled overview PNG with the results drawn.

Build an inferencer from ``(config, checkpoint, device)``::

    from rsvheat_mm.apis import build_scene_inferencer
    inf = build_scene_inferencer('configs/upernet/...potsdam-512x512.py',
                                 'best.pth', device='cuda:0')
    result = inf(['scene.tif'], out_dir='outputs')   # paths of the outputs

The band count and dtype of a scene must fit what the config's pipeline
expects; nothing is converted silently (a 16-bit scene for an 8-bit config
needs ``rescale='percentile'`` / ``'minmax'`` or ``value_range``; a 4-band
scene for a 3-band model needs ``bands``). Outputs are written under
temporary names and renamed when complete; a manifest
``<stem>.scene.json``, written last, marks a scene as done.
"""
import copy
import json
import os
import os.path as osp
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .raster_io import (InputSpec, RasterSource, RowStripWriter, check_pair,
                        commit_temp, gdal_cache_env, overview_image,
                        temp_path, write_geojson)
from .scene_blending import MaskPolygonizer, RowBlender
from .tiled_inference import _pipeline_cfg, _type_name

__all__ = [
    'detect_task', 'input_specs', 'SceneInferencer', 'SegSceneInferencer',
    'ChangeSceneInferencer', 'DetSceneInferencer', 'build_scene_inferencer',
    'scene_outputs_complete', 'run_scenes', 'clip_windows'
]

PathT = Union[str, Path]
#: transforms that only read or reshape ground truth
GT_ONLY = ('LoadAnnotations', 'LoadMappedAnnotations', 'ConvertBoxType',
           'FilterAnnotations', 'LoadDepthAnnotation')
MANIFEST = '{stem}.scene.json'


# -- config analysis -------------------------------------------------------
def detect_task(cfg) -> str:
    """``'det'``, ``'seg'`` or ``'cd'`` from a config.

    Raises:
        ValueError: The config is none of the three dense tasks.
    """
    model = cfg.model
    if _type_name(model) == 'SiameseEncoderDecoder':
        return 'cd'
    if 'decode_head' in model:
        return 'seg'
    if any(k in model for k in ('roi_head', 'bbox_head', 'rpn_head')):
        return 'det'
    raise ValueError(
        f'Config with model type {model.get("type")!r} is not a detection, '
        f'segmentation or change-detection model; scene inference supports '
        f'mmdet / mmrotate detectors and mmseg segmentors (incl. '
        f'SiameseEncoderDecoder).')


def _loader_cfg(cfg) -> dict:
    for t in _pipeline_cfg(cfg):
        name = _type_name(t)
        if name.startswith('Load') and name not in GT_ONLY:
            return t
    raise ValueError('The test pipeline of the config has no image loading '
                     'step (LoadImageFromFile / LoadMultiImageFromFiles).')


def _total_channels(cfg, task: str) -> Optional[int]:
    pre = cfg.model.get('data_preprocessor') or {}
    if pre.get('mean') is not None:
        return len(pre['mean'])
    inc = cfg.model.backbone.get('in_channels', 3)
    n = sum(inc.values()) if isinstance(inc, dict) else int(inc)
    return 2 * n if task == 'cd' else n


def input_specs(cfg, task: str, bands: Optional[Sequence] = None,
                rescale: str = 'none',
                value_range: Optional[Tuple[float, float]] = None) -> \
        Tuple[str, List[InputSpec], List[str]]:
    """What each input image of the config must be.

    Args:
        cfg: The model config.
        task: See :func:`detect_task`.
        bands: 0-based file bands per input (a list per input, or one list
            for all inputs), overriding the pipeline's ``bands``. Defaults to
            None.
        rescale: See :class:`~.raster_io.InputSpec`. Defaults to 'none'.
        value_range: See :class:`~.raster_io.InputSpec`. Defaults to None.

    Returns:
        ``(loader kind, specs, path keys)``; loader kind is ``'mmcv'``
        (``LoadImageFromFile``, BGR) or ``'multi'``
        (``LoadMultiImageFromFiles``, file order, a list of images).
    """
    from ..datasets.transforms.loading import _per_image
    t = _loader_cfg(cfg)
    name = _type_name(t)
    total = _total_channels(cfg, task)
    if name == 'LoadMultiImageFromFiles':
        kind = 'multi'
        keys = list(t.get('path_keys', ('img_path', 'img_path2')))
        cts = _per_image(t.get('color_types', 'color'), len(keys),
                         'color_types')
        bds = _per_image(t.get('bands', None), len(keys), 'bands')
        bgr = False
    elif name in ('LoadImageFromFile', 'LoadImageFromNDArray'):
        kind, keys = 'mmcv', ['img_path']
        cts, bds, bgr = [t.get('color_type', 'color')], [None], True
    else:
        raise ValueError(
            f'Scene inference does not know the loader {name} of the test '
            f'pipeline; use LoadImageFromFile or LoadMultiImageFromFiles.')
    if bands is not None:
        bands = list(bands)
        if bands and not isinstance(bands[0], (list, tuple, type(None))):
            bands = [bands] * len(keys)  # one selection for every input
        if len(bands) != len(keys):
            raise ValueError(f'bands gives {len(bands)} selection(s) for '
                             f'{len(keys)} input(s) ({keys}).')
        bds = [b if b is not None else d for b, d in zip(bands, bds)]
    known = []
    for ct, bd in zip(cts, bds):
        known.append(len(bd) if bd is not None else 3 if ct == 'color'
                     else 1 if ct == 'grayscale' else None)
    free = [i for i, k in enumerate(known) if k is None]
    if free:
        rest = (total or 3) - sum(k for k in known if k is not None)
        for i in free:
            known[i] = max(rest // len(free), 1)
    roles = (['A (before)', 'B (after)'] if task == 'cd' and len(keys) == 2
             else keys)
    specs = [InputSpec(channels=int(ch), bands=None if bd is None else
                       [int(b) for b in bd],
                       uint8=ct in ('color', 'grayscale'), bgr=bgr,
                       rescale=rescale, value_range=value_range,
                       role=role, extra=dict(color_type=ct))
             for ch, bd, ct, role in zip(known, bds, cts, roles)]
    return kind, specs, keys


def clip_windows(windows: np.ndarray, width: int,
                 height: int) -> np.ndarray:
    """Windows clipped to the scene (a scene smaller than a window gives
    one window of the scene's size: no padding reaches the model)."""
    w = np.asarray(windows).copy()
    w[:, 2] = np.minimum(w[:, 2], width)
    w[:, 3] = np.minimum(w[:, 3], height)
    return w


def _add_counts(counts: np.ndarray, values: np.ndarray,
                chunk: int = 1 << 20) -> None:
    """``counts += bincount(values)``, ``chunk`` pixels at a time
    (``np.bincount`` copies its input as int64: 8 bytes per pixel of a
    scene-wide strip otherwise)."""
    flat = values.reshape(-1)
    for i in range(0, flat.size, chunk):
        c = np.bincount(flat[i:i + chunk], minlength=len(counts))
        counts += c[:len(counts)]


def _dataset_meta(cfg, model) -> dict:
    """classes / palette: the checkpoint's, else the config dataset's."""
    meta = dict(getattr(model, 'dataset_meta', None) or {})
    if meta.get('classes'):
        return meta
    from mmengine.registry import DATASETS
    ds = cfg.test_dataloader.dataset
    while 'dataset' in ds and 'pipeline' not in ds:
        ds = ds.dataset
    try:
        cls = DATASETS.get(ds.type)
        if cls is None:
            scope = cfg.get('default_scope', 'mmdet')
            cls = DATASETS.get(f'{scope}.{ds.type}')
        meta = dict(copy.deepcopy(cls.METAINFO)) if cls is not None else {}
    except Exception:  # noqa: BLE001 - unknown dataset: generated names
        meta = {}
    return meta


def _palette(n: int, given=None) -> List[Tuple[int, int, int]]:
    if given is not None and len(given) >= n:
        return [tuple(int(v) for v in c[:3]) for c in given[:n]]
    rng = np.random.RandomState(42)
    return [tuple(int(v) for v in rng.randint(0, 256, 3)) for _ in range(n)]


def _encode_png(path: str, img: np.ndarray) -> str:
    import cv2
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise OSError(f'could not encode {path}')
    with open(temp_path(path), 'wb') as f:
        f.write(buf.tobytes())
    return commit_temp(path)


def _progress(total: int, enabled: bool, desc: str, position: int = 0):
    """A tqdm bar (nested bars work) or mmengine's, or None."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=desc, position=position,
                    leave=position == 0, dynamic_ncols=True)
    except ImportError:
        from mmengine.utils import ProgressBar
        return ProgressBar(total)


def _close_bar(bar) -> None:
    if bar is not None and hasattr(bar, 'close'):
        bar.close()


def scene_outputs_complete(out_dir: PathT, stem: str) -> bool:
    """Whether the manifest of ``stem`` exists and lists only files that
    exist (a scene interrupted half way has no manifest)."""
    path = osp.join(str(out_dir), MANIFEST.format(stem=stem))
    if not osp.isfile(path):
        return False
    try:
        with open(path) as f:
            man = json.load(f)
    except (OSError, ValueError):
        return False
    return all(osp.isfile(p) for p in man.get('outputs', {}).values())


# -- inferencers --------------------------------------------------------------
class SceneInferencer:
    """Base class: model, input specs, windows, outputs, manifest.

    Args:
        config: Config file or :class:`mmengine.Config`.
        checkpoint: Weights (``.pth``); None keeps the initial weights
            (only to test a pipeline). Defaults to None.
        device: Torch device. Defaults to ``'cpu'``.
        patch_size: Window side. Defaults to None: the config's slide
            ``crop_size`` for segmentation (else 512), 1024 for detection.
        gap: Overlap of neighbouring windows. Defaults to None:
            ``crop_size - stride`` of a slide config (else ``patch // 4``)
            for segmentation, 200 for detection.
        batch_size: Windows per forward. Defaults to 1.
        bands: 0-based file bands per input (see :func:`input_specs`).
            Defaults to None (the pipeline's, else all).
        rescale: 8-bit stretch of non-uint8 scenes for 8-bit configs:
            ``'none'`` (refuse), ``'percentile'``, ``'minmax'``. Defaults to
            ``'none'``.
        value_range: Fixed ``(low, high)`` of that stretch. Defaults to None.
        progress: Show progress bars. Defaults to True.
        overview_side: Longest side of the overview PNG. Defaults to 1024.
        cfg_options: Overrides merged into the config. Defaults to None.
        gdal_cache_mb: GDAL block cache while a scene runs, in MiB.
            Defaults to 16 (a 256 px tile row of a 16384 px wide 3-band
            8-bit scene: each tile is decoded about once). A file stored
            in strips gets what a window row of its strips takes, up to
            :attr:`max_strip_cache_mb` (1024; :meth:`cache_mb_for`).
    """
    task = ''
    even_windows = False  # compute_windows(even=...): the devkit layout
    max_strip_cache_mb = 1024  # see cache_mb_for

    def __init__(self, config, checkpoint: Optional[str] = None,
                 device: str = 'cpu', patch_size: Optional[int] = None,
                 gap: Optional[int] = None, batch_size: int = 1,
                 bands: Optional[Sequence] = None, rescale: str = 'none',
                 value_range: Optional[Tuple[float, float]] = None,
                 progress: bool = True, overview_side: int = 1024,
                 cfg_options: Optional[dict] = None,
                 gdal_cache_mb: int = 16) -> None:
        from mmengine.config import Config
        import rsvheat_mm  # noqa: F401  (registers the modules)
        cfg = Config.fromfile(str(config)) if isinstance(
            config, (str, Path)) else copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        task = detect_task(cfg)
        if task != self.task:
            raise ValueError(f'{type(self).__name__} got a {task} config; '
                             f'use build_scene_inferencer().')
        self.config_path = str(config) if isinstance(config, (str, Path)) \
            else None
        self.checkpoint = checkpoint
        self.device = device
        self.model = self._init_model(cfg, checkpoint, device)
        self.cfg = self.model.cfg
        self.meta = _dataset_meta(self.cfg, self.model)
        self.kind, self.specs, self.path_keys = input_specs(
            self.cfg, task, bands, rescale, value_range)
        self.patch_size, self.gap = self._default_windows(patch_size, gap)
        if self.patch_size <= self.gap:
            raise ValueError(f'patch_size ({self.patch_size}) must be larger '
                             f'than gap ({self.gap}).')
        self.batch_size = max(int(batch_size), 1)
        self.progress = progress
        self.overview_side = overview_side
        self.gdal_cache_mb = int(gdal_cache_mb)

    # -- model ------------------------------------------------------------
    def _init_model(self, cfg, checkpoint, device):
        raise NotImplementedError

    @staticmethod
    def _load_weights(model, checkpoint: Optional[str]) -> None:
        if not checkpoint:
            return
        from mmengine.runner import load_checkpoint
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'Checkpoint not found: {checkpoint}.')
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        if isinstance(meta, dict) and meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']

    def _default_windows(self, patch, gap) -> Tuple[int, int]:
        raise NotImplementedError

    # -- inputs -----------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        """Images per sample (2 for a change pair or optical + SAR)."""
        return len(self.specs)

    def open_inputs(self, paths: Sequence[PathT]) -> List[RasterSource]:
        """Open and check the input scenes of one sample.

        Raises:
            ValueError: Wrong number of scenes, a band / dtype mismatch or
                scenes not on one grid (names the files and the fix).
        """
        paths = [str(p) for p in paths]
        if len(paths) != self.num_inputs:
            what = ('a before / after pair (A B)' if self.task == 'cd'
                    else ' + '.join(self.path_keys))
            raise ValueError(
                f'This {self.task} config takes {self.num_inputs} scene(s) '
                f'per sample ({what}) but got {len(paths)}: {paths}.')
        srcs = []
        try:
            for p, spec in zip(paths, self.specs):
                srcs.append(RasterSource(p, spec))
            for other in srcs[1:]:
                check_pair(srcs[0], other)
        except Exception:
            for s in srcs:
                s.close()
            raise
        return srcs

    def windows_of(self, width: int, height: int) -> np.ndarray:
        from ..utils.patch.split import compute_windows
        return compute_windows(width, height, self.patch_size, self.gap,
                               even=self.even_windows)

    # -- outputs ----------------------------------------------------------
    def output_names(self, stem: str) -> Dict[str, str]:
        raise NotImplementedError

    def __call__(self, paths: Sequence[PathT], out_dir: PathT,
                 stem: Optional[str] = None, skip_complete: bool = True,
                 extra_manifest: Optional[dict] = None) -> Dict:
        """Run one sample and write its outputs.

        Args:
            paths: The input scene(s) of one sample.
            out_dir: Output folder (created).
            stem: Output name stem. Defaults to the first scene's stem.
            skip_complete: Skip a sample whose manifest and outputs exist
                and whose manifest names the same inputs, config and
                checkpoint. Defaults to True.
            extra_manifest: More fields for the manifest. Defaults to None.

        Returns:
            The manifest (``outputs``: name -> path, ``skipped``, ...).
        """
        if isinstance(paths, (str, Path)):
            paths = [paths]
        paths = [str(p) for p in paths]
        stem = stem or Path(paths[0]).stem
        out_dir = str(out_dir)
        os.makedirs(out_dir, exist_ok=True)
        man_path = osp.join(out_dir, MANIFEST.format(stem=stem))
        outputs = {k: osp.join(out_dir, v)
                   for k, v in self.output_names(stem).items()}
        ins = {osp.realpath(p) for p in paths}
        for p in list(outputs.values()) + [man_path]:
            if osp.realpath(p) in ins:
                raise ValueError(
                    f'Output {p} would overwrite the input scene; choose '
                    f'another --out-dir.')
        if skip_complete and scene_outputs_complete(out_dir, stem):
            with open(man_path) as f:
                man = json.load(f)
            # the same sample by the same model: done; else redo
            if (man.get('inputs'), man.get('task'), man.get('config'),
                    man.get('checkpoint')) == (paths, self.task,
                                               self.config_path,
                                               self.checkpoint):
                man['skipped'] = True
                return man
        # an interrupted run leaves temp files and maybe some outputs: redo
        for p in list(outputs.values()) + [man_path]:
            for q in (p, temp_path(p)):
                if osp.exists(q):
                    os.remove(q)
        start = time.time()
        import rasterio
        # GDAL's block cache defaults to 5 % of the RAM and would fill up
        # with the scene's blocks: bound it (memory must not grow with size)
        with rasterio.Env(**gdal_cache_env(self.gdal_cache_mb)):
            srcs = self.open_inputs(paths)
            try:
                cache_mb = self.cache_mb_for(srcs)
                with rasterio.Env(**gdal_cache_env(cache_mb)):
                    info = self._run(srcs, outputs, stem)
            finally:
                for s in srcs:
                    s.close()
        man = dict(task=self.task, stem=stem, inputs=paths, outputs=outputs,
                   config=self.config_path, checkpoint=self.checkpoint,
                   patch_size=self.patch_size, gap=self.gap,
                   width=srcs[0].width, height=srcs[0].height,
                   crs=(None if srcs[0].crs is None
                        else srcs[0].crs.to_string()),
                   georeference=('gcps' if srcs[0].gcps else
                                 'transform' if srcs[0].crs else None),
                   gdal_cache_mb=cache_mb,
                   seconds=round(time.time() - start, 3), **info)
        man.update(extra_manifest or {})
        with open(temp_path(man_path), 'w') as f:
            json.dump(man, f, indent=1)
        commit_temp(man_path)
        man['skipped'] = False
        return man

    def cache_mb_for(self, srcs) -> int:
        """GDAL block cache for a sample: :attr:`gdal_cache_mb`, raised to
        hold a window row of the strips of inputs stored in strips (see
        :meth:`RasterSource.strip_cache_mb`) up to
        :attr:`max_strip_cache_mb`; above that a warning names the file
        and how to tile it."""
        needs = [s.strip_cache_mb(self.patch_size) for s in srcs]
        need = sum(needs)
        if need > self.max_strip_cache_mb:
            import warnings
            names = ', '.join(s.path for s, n in zip(srcs, needs) if n)
            warnings.warn(
                f'{names}: stored in strips; a window row of them needs '
                f'{need} MiB of GDAL block cache, more than '
                f'max_strip_cache_mb={self.max_strip_cache_mb}, so every '
                f'window decodes its strips again (slow reads). Tile the '
                f'file once: gdal_translate -co TILED=YES -co '
                f'COMPRESS=DEFLATE in.tif out.tif', stacklevel=2)
            return self.gdal_cache_mb
        return max(self.gdal_cache_mb, need)

    def _run(self, srcs, outputs, stem) -> dict:
        raise NotImplementedError


class SegSceneInferencer(SceneInferencer):
    """Semantic segmentation of whole scenes (mmseg segmentors).

    Outputs ``<stem>_seg.tif`` (class indices, colour table) and
    ``<stem>_overview.png``. See :class:`SceneInferencer` for the arguments.
    """
    task = 'seg'
    # evenly spread windows: the rows one window row shares with the next
    # (held as logits across the scene width) stay about ``gap``; the devkit
    # layout's last row can share almost a whole window
    even_windows = True

    def _init_model(self, cfg, checkpoint, device):
        from mmseg.apis import init_model
        model = init_model(cfg, None, device=device)
        self._load_weights(model, checkpoint)
        return model

    def _default_windows(self, patch, gap) -> Tuple[int, int]:
        test_cfg = self.model.cfg.model.get('test_cfg') or {}
        crop = stride = None
        if test_cfg.get('mode') == 'slide':
            crop = int(test_cfg['crop_size'][0])
            stride = int(test_cfg['stride'][0])
        if patch is None:
            patch = crop or 512
        if gap is None:
            gap = crop - stride if crop and patch == crop else patch // 4
        return int(patch), int(gap)

    @property
    def num_classes(self) -> int:
        return int(self.model.decode_head.out_channels)

    def _build_pipeline(self):
        from mmcv.transforms import Compose
        from mmengine.registry import init_default_scope
        init_default_scope(self.cfg.get('default_scope', 'mmseg'))
        steps = [t for t in _pipeline_cfg(self.cfg)
                 if _type_name(t) not in GT_ONLY and
                 not (_type_name(t).startswith('Load') and
                      'Annotation' not in _type_name(t))]
        return Compose(steps)

    def _results(self, imgs: List[np.ndarray], srcs) -> dict:
        h, w = imgs[0].shape[:2]
        res = dict(img_shape=(h, w), ori_shape=(h, w))
        if self.kind == 'mmcv':
            img = imgs[0]
            if img.shape[-1] == 1:  # cv2 gives grayscale images as [H, W]
                img = img[..., 0]
            res.update(img=img, img_path=srcs[0].path)
        else:
            res.update(img=list(imgs),
                       img_channels=[im.shape[-1] for im in imgs])
            for k, s in zip(self.path_keys, srcs):
                res[k] = s.path
        return res

    def predict_windows(self, srcs, windows) -> List[np.ndarray]:
        """Logits ``[C, h, w]`` (float32) of each window."""
        import torch
        from mmengine.dataset import pseudo_collate
        if not hasattr(self, '_pipeline'):
            self._pipeline = self._build_pipeline()
        data = [self._pipeline(self._results(
            [s.read_window(win) for s in srcs], srcs)) for win in windows]
        with torch.no_grad():
            preds = self.model.test_step(pseudo_collate(data))
        return [p.seg_logits.data.float().cpu().numpy() for p in preds]

    def _reduce(self):
        if self.num_classes > 1:
            if self.num_classes <= 255:
                return lambda x: x.argmax(0).astype(np.uint8), np.uint8
            return lambda x: x.argmax(0).astype(np.uint16), np.uint16
        thr = float(getattr(self.model.decode_head, 'threshold', 0.5))
        logit = float(np.log(thr / (1 - thr)))
        return lambda x: (x[0] > logit).astype(np.uint8), np.uint8

    @property
    def nodata(self) -> int:
        """Class value of pixels without a result (invalid input pixels):
        the largest value of the output dtype (255 for uint8, never a
        class)."""
        return int(np.iinfo(self._reduce()[1]).max)

    @staticmethod
    def valid_rows(srcs, row0: int, n: int) -> Optional[np.ndarray]:
        """Valid pixels of rows ``row0 .. row0 + n`` (valid in every input
        of the sample), None when no input has a mask."""
        valid = None
        for s in srcs:
            v = s.read_valid((0, row0, s.width, row0 + n))
            if v is not None:
                valid = v if valid is None else valid & v
        return valid

    def _predict_valid(self, srcs, windows) -> List[np.ndarray]:
        """:meth:`predict_windows`, but a window with no valid pixel (a
        nodata collar) is not run: its logits are zeros, and its pixels are
        nodata in the output anyway."""
        if not any(s.has_mask for s in srcs):
            return self.predict_windows(srcs, windows)
        keep = []
        for win in windows:
            ok = True
            for s in srcs:
                v = s.read_valid(win)
                ok = ok and (v is None or bool(v.any()))
            keep.append(ok)
        run = self.predict_windows(srcs, windows[np.array(keep)]) \
            if any(keep) else []
        it = iter(run)
        self._skipped_windows += keep.count(False)
        c = max(self.num_classes, 1)
        return [next(it) if ok else
                np.zeros((c, w[3] - w[1], w[2] - w[0]), np.float32)
                for ok, w in zip(keep, windows)]

    def _mask_rows(self, srcs, row0: int, rows: np.ndarray) -> np.ndarray:
        """``rows`` with invalid input pixels set to :attr:`nodata`."""
        valid = self.valid_rows(srcs, row0, rows.shape[0])
        if valid is None:
            return rows
        rows = rows.copy()
        rows[~valid] = self.nodata
        return rows

    def blend_scene(self, srcs, on_strip) -> None:
        """Windowed prediction of a sample, blended; ``on_strip(row0,
        class_rows)`` gets each finished strip, top to bottom, with invalid
        input pixels (nodata, alpha, masks) set to :attr:`nodata`."""
        src = srcs[0]
        self._skipped_windows = 0
        windows = clip_windows(self.windows_of(src.width, src.height),
                               src.width, src.height)
        reduce, dtype = self._reduce()
        ramp = min(self.gap, self.patch_size // 2)
        blender = RowBlender(src.width, src.height, windows,
                             max(self.num_classes, 1), ramp, reduce, dtype)
        bar = _progress(len(windows), self.progress,
                        Path(src.path).name, position=1)
        try:
            for start in range(0, len(windows), self.batch_size):
                batch = windows[start:start + self.batch_size]
                for logits in self._predict_valid(srcs, batch):
                    for row0, rows in blender.add(logits):
                        on_strip(row0, self._mask_rows(srcs, row0, rows))
                    if bar is not None:
                        bar.update(1)
        finally:
            _close_bar(bar)

    def _class_palette(self):
        n = max(self.num_classes, 2)
        return _palette(n, self.meta.get('palette'))

    def output_names(self, stem: str) -> Dict[str, str]:
        return dict(seg=f'{stem}_seg.tif', overview=f'{stem}_overview.png')

    def _writer(self, path, srcs, dtype=None):
        src = srcs[0]
        tags = dict(classes=','.join(map(str, self.meta.get('classes', ()))),
                    source=src.path)
        _, out_dtype = self._reduce()
        masked = any(s.has_mask for s in srcs)
        return RowStripWriter(path, src.width, src.height,
                              np.dtype(dtype or out_dtype).name,
                              src.transform, src.crs,
                              self._class_palette(), tags=tags,
                              nodata=self.nodata if masked else None,
                              gcps=src.gcps)

    def _run(self, srcs, outputs, stem) -> dict:
        src = srcs[0]
        writer = self._writer(outputs['seg'], srcs)
        counts = np.zeros(max(self.num_classes, 2), np.int64)
        nodata = [0]

        def on_strip(row0, rows):
            writer.write_rows(rows)
            invalid = rows == self.nodata
            nodata[0] += int(invalid.sum())
            _add_counts(counts, rows[~invalid] if nodata[0] else rows)
        try:
            self.blend_scene(srcs, on_strip)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        self._write_overview(srcs, outputs['seg'], outputs['overview'])
        classes = list(self.meta.get('classes', ()))
        return dict(pixels_per_class={
            (classes[i] if i < len(classes) else str(i)): int(c)
            for i, c in enumerate(counts) if c},
            nodata_pixels=nodata[0],
            skipped_windows=self._skipped_windows)

    def _overview_base(self, srcs) -> np.ndarray:
        return overview_image(srcs[0], self.overview_side)

    def _write_overview(self, srcs, class_tif, path) -> None:
        import rasterio
        base = self._overview_base(srcs)
        oh, ow = base.shape[:2]
        with rasterio.open(class_tif) as ds:
            cls = ds.read(1, out_shape=(oh, ow))  # nearest, decimated
        pal = np.array(self._class_palette(), np.uint8)[:, ::-1]  # BGR
        color = pal[np.minimum(cls, len(pal) - 1)]
        vis = (0.5 * base + 0.5 * color).astype(np.uint8)
        nodata = cls == self.nodata
        vis[nodata] = base[nodata]  # no result there: the scene as it is
        _encode_png(path, vis)


class ChangeSceneInferencer(SegSceneInferencer):
    """Change detection of a co-registered scene pair (siamese segmentor).

    Outputs ``<stem>_change.tif`` (class indices: 0 unchanged, 1 changed),
    ``<stem>_change.geojson`` (one polygon per changed region, in the
    scene's CRS) and ``<stem>_overview.png``. The two scenes must share
    size, transform and CRS.
    """
    task = 'cd'

    def output_names(self, stem: str) -> Dict[str, str]:
        return dict(change=f'{stem}_change.tif',
                    regions=f'{stem}_change.geojson',
                    overview=f'{stem}_overview.png')

    def _run(self, srcs, outputs, stem) -> dict:
        from shapely.geometry import mapping
        from shapely.ops import transform as map_coords
        src = srcs[0]
        writer = self._writer(outputs['change'], srcs)
        poly = MaskPolygonizer(src.width, src.height)
        features = []
        changed = [0]

        def to_crs(x, y):
            xy = src.pixel_to_crs(np.stack([np.asarray(x, np.float64),
                                            np.asarray(y, np.float64)], 1))
            return xy[:, 0], xy[:, 1]

        def emit(geom):
            g = map_coords(to_crs, geom)
            features.append(dict(
                type='Feature', geometry=mapping(g),
                properties=dict(id=len(features), class_name='changed',
                                area_px=float(geom.area),
                                area=float(g.area))))

        def on_strip(row0, rows):
            writer.write_rows(rows)
            change = ((rows > 0) & (rows != self.nodata)).astype(np.uint8)
            changed[0] += int(change.sum())
            for g in poly.add(row0, change):
                emit(g)
        try:
            self.blend_scene(srcs, on_strip)
            for g in poly.close():
                emit(g)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        write_geojson(outputs['regions'], features, src.crs,
                      extra=dict(name=stem, source=[s.path for s in srcs]))
        self._write_overview(srcs, outputs['change'], outputs['overview'])
        return dict(changed_pixels=changed[0], regions=len(features),
                    skipped_windows=self._skipped_windows)

    def _overview_base(self, srcs) -> np.ndarray:
        return overview_image(srcs[-1], self.overview_side)  # after image

    def _write_overview(self, srcs, class_tif, path) -> None:
        import cv2
        import rasterio
        base = self._overview_base(srcs)
        oh, ow = base.shape[:2]
        with rasterio.open(class_tif) as ds:
            cls = ds.read(1, out_shape=(oh, ow))
        mask = ((cls > 0) & (cls != self.nodata)).astype(np.uint8)
        vis = base.copy()
        vis[mask > 0] = (0.4 * vis[mask > 0] +
                         0.6 * np.array([0, 0, 255])).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(vis, contours, -1, (0, 255, 255), 1)
        _encode_png(path, vis)


class _DetSource:
    """A :class:`RasterSource` as the detector's tile reader ([H, W] for
    1-band models, as OpenCV gives grayscale images)."""

    def __init__(self, src: RasterSource) -> None:
        self.src = src
        self.shape = src.shape

    def read_window(self, window, pad_value=0.):
        arr = self.src.read_window(window, pad_value)
        return arr[..., 0] if arr.shape[-1] == 1 else arr

    def read_valid(self, window):
        return self.src.read_valid(window)


class DetSceneInferencer(SceneInferencer):
    """Object detection (horizontal or rotated) over whole scenes.

    Windows of :func:`~rsvheat_mm.utils.patch.split.compute_windows`, tile
    detections merged with class-wise (rotated) NMS, boxes in the padding
    dropped. Outputs ``<stem>.geojson`` (one polygon per object, clipped to
    the scene, in its CRS when it has one; ``class``, ``score``),
    ``<stem>.txt`` (DOTA-style ``x1 y1 ... y4 class score`` in pixels) and
    ``<stem>_overview.png``.

    Args:
        score_thr: Drop detections below it. Defaults to 0.3.
        iou_thr: Merge NMS IoU threshold. Defaults to 0.1.
        **kwargs: See :class:`SceneInferencer`.
    """
    task = 'det'

    def __init__(self, config, checkpoint=None, device='cpu',
                 score_thr: float = 0.3, iou_thr: float = 0.1,
                 **kwargs) -> None:
        self.score_thr, self.iou_thr = score_thr, iou_thr
        super().__init__(config, checkpoint, device, **kwargs)

    def _init_model(self, cfg, checkpoint, device):
        import warnings
        if 'mmrotate' in str(cfg.get('default_scope', '')):
            import mmrotate  # noqa: F401
        from mmdet.apis import init_detector
        with warnings.catch_warnings():
            # "checkpoint is None": the weights are loaded below
            warnings.simplefilter('ignore')
            model = init_detector(cfg, None, device=device)
        model.dataset_meta = {}
        self._load_weights(model, checkpoint)
        return model

    def _default_windows(self, patch, gap) -> Tuple[int, int]:
        return int(patch or 1024), int(200 if gap is None else gap)

    def output_names(self, stem: str) -> Dict[str, str]:
        return dict(geojson=f'{stem}.geojson', txt=f'{stem}.txt',
                    overview=f'{stem}_overview.png')

    @property
    def classes(self) -> List[str]:
        classes = list(self.meta.get('classes') or ())
        n = _num_det_classes(self.model)
        if n and len(classes) < n:
            classes += [f'class_{i}' for i in range(len(classes), n)]
        return classes

    def detect(self, src: RasterSource) -> Dict:
        """Merged detections of one scene (image pixel coordinates)."""
        from .tiled_inference import tiled_inference
        return tiled_inference(
            self.model, _DetSource(src), self.patch_size, self.gap,
            self.batch_size, self.iou_thr, self.score_thr,
            progress=self.progress)

    def _run(self, srcs, outputs, stem) -> dict:
        from ..evaluation.functional.submission import detections_to_polys
        from ..utils.patch.merge import to_tensor
        from ..utils.patch.split import clip_polygon
        from .tiled_inference import draw_detections, format_detections
        src = srcs[0]
        dets = self.detect(src)
        dropped = 0
        if src.has_mask:  # objects centred on nodata are no objects
            dets, dropped = _drop_invalid_centres(dets, src)
        classes = self.classes
        lines = format_detections(dets, classes)
        with open(temp_path(outputs['txt']), 'w') as f:
            f.writelines(line + '\n' for line in lines)
        commit_temp(outputs['txt'])
        polys = detections_to_polys(dets)
        scores = to_tensor(dets['scores']).numpy()
        labels = to_tensor(dets['labels']).numpy().astype(int)
        boxes = to_tensor(dets['bboxes']).numpy()
        features = []
        for poly, s, lab, box in zip(polys, scores, labels, boxes):
            clipped = clip_polygon(np.asarray(poly).reshape(4, 2),
                                   (0, 0, src.width, src.height))
            if len(clipped) < 3:
                continue
            ring = src.pixel_to_crs(clipped).tolist()
            ring.append(ring[0])
            features.append(dict(
                type='Feature', geometry=dict(type='Polygon',
                                              coordinates=[ring]),
                properties=dict(class_name=classes[lab], label=int(lab),
                                score=float(s),
                                bbox_px=[float(v) for v in box])))
        write_geojson(outputs['geojson'], features, src.crs,
                      extra=dict(name=stem, source=src.path,
                                 box_type='rbox' if boxes.shape[-1] == 5
                                 else 'hbox'))
        ov = overview_image(src, self.overview_side)
        scale = ov.shape[1] / float(src.width)
        vis = draw_detections(ov, _scale_dets(dets, scale), classes,
                              self.meta.get('palette'), thickness=1,
                              with_text=False)
        _encode_png(outputs['overview'], vis)
        return dict(detections=len(features), dropped_on_nodata=dropped)


def _drop_invalid_centres(dets: Dict, src: RasterSource) -> Tuple[Dict, int]:
    """Detections whose box centre is a valid pixel of ``src``, and how
    many were dropped."""
    import torch
    from ..utils.patch.merge import to_tensor
    boxes = to_tensor(dets['bboxes']).numpy()
    if not len(boxes):
        return dets, 0
    if boxes.shape[-1] == 5:  # (cx, cy, w, h, angle)
        cx, cy = boxes[:, 0], boxes[:, 1]
    else:
        cx = (boxes[:, 0] + boxes[:, 2]) / 2
        cy = (boxes[:, 1] + boxes[:, 3]) / 2
    xs = np.clip(np.floor(cx).astype(int), 0, src.width - 1)
    ys = np.clip(np.floor(cy).astype(int), 0, src.height - 1)
    keep = np.array([bool(src.read_valid((x, y, x + 1, y + 1))[0, 0])
                     for x, y in zip(xs, ys)])
    idx = torch.from_numpy(np.nonzero(keep)[0])
    out = {k: to_tensor(v)[idx] for k, v in dets.items()}
    return out, int((~keep).sum())


def _num_det_classes(model) -> Optional[int]:
    for path in ('roi_head.bbox_head.num_classes', 'bbox_head.num_classes'):
        obj = model
        for part in path.split('.'):
            obj = getattr(obj, part, None)
        if isinstance(obj, int):
            return obj
    return None


def _scale_dets(dets: Dict, s: float) -> Dict:
    b = dets['bboxes'].clone().float()
    if b.shape[-1] == 5:
        b[:, :4] *= s
    else:
        b *= s
    return dict(dets, bboxes=b)


_TASKS = dict(det=DetSceneInferencer, seg=SegSceneInferencer,
              cd=ChangeSceneInferencer)


def build_scene_inferencer(config, checkpoint: Optional[str] = None,
                           device: str = 'cpu', **kwargs) -> SceneInferencer:
    """The scene inferencer of the config's task (det / seg / cd).

    Args:
        config: Config file or :class:`mmengine.Config`.
        checkpoint: Weights. Defaults to None.
        device: Torch device. Defaults to ``'cpu'``.
        **kwargs: See :class:`SceneInferencer` (and ``score_thr``,
            ``iou_thr`` for detection; other tasks ignore those two).
    """
    from mmengine.config import Config
    cfg = Config.fromfile(str(config)) if isinstance(config, (str, Path)) \
        else config
    if kwargs.get('cfg_options'):
        cfg = copy.deepcopy(cfg)
        cfg.merge_from_dict(kwargs.pop('cfg_options'))
    task = detect_task(cfg)
    if task != 'det':
        kwargs.pop('score_thr', None)
        kwargs.pop('iou_thr', None)
    inf = _TASKS[task](cfg, checkpoint, device, **kwargs)
    if isinstance(config, (str, Path)):
        inf.config_path = str(config)
    return inf


def run_scenes(inferencer: SceneInferencer,
               samples: Sequence[Sequence[str]], out_dir: PathT,
               rank: int = 0, world_size: int = 1, overwrite: bool = False,
               progress: bool = True) -> List[Dict]:
    """Run the samples of this process (``samples[rank::world_size]``).

    Each sample writes its own outputs; complete ones are skipped unless
    ``overwrite``; one interrupted half way is redone.

    Args:
        inferencer: A :class:`SceneInferencer`.
        samples: Input paths per sample.
        out_dir: Output folder.
        rank: This process. Defaults to 0.
        world_size: Processes. Defaults to 1.
        overwrite: Redo complete samples too. Defaults to False.
        progress: A progress bar over the samples. Defaults to True.

    Returns:
        The manifests of this process's samples.

    Raises:
        ValueError: Two samples would write the same outputs.
    """
    stems = [Path(s[0]).stem for s in samples]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise ValueError(
            f'Several scenes share the name stem(s) {dup[:5]} and would '
            f'write the same outputs; rename them or run them into '
            f'different --out-dir folders.')
    mine = list(samples)[rank::world_size]
    bar = _progress(len(mine), progress, f'scenes (rank {rank})', 0)
    out = []
    try:
        for paths in mine:
            man = inferencer(list(paths), out_dir, skip_complete=not overwrite,
                             extra_manifest=dict(rank=rank,
                                                 world_size=world_size))
            out.append(man)
            if bar is not None:
                bar.update(1)
    finally:
        _close_bar(bar)
    return out
