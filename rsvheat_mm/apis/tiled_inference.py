"""Tile-by-tile inference of an mmdet / mmrotate detector on a huge image.

The image is cut into the same windows as the splitting tool
(:func:`~rsvheat_mm.utils.patch.split.compute_windows`), each window runs through
the config's test pipeline (image from memory, annotation loading dropped)
and the detector, and the detections are merged with class-wise (rotated)
NMS (:func:`~rsvheat_mm.utils.patch.merge.merge_tile_detections`). Memory stays that
of one batch of tiles, whatever the image size, when the image is a window
reader (:class:`~rsvheat_mm.apis.raster_io.RasterSource`) instead of an array.

Tiles past the border are padded; detections whose centre lies in the padding
are dropped before the merge, and horizontal boxes are clipped to the image
after it, so every box lies in the image (a small image in one tile alike).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from ..utils.patch.merge import merge_tile_detections, to_tensor
from ..utils.patch.split import compute_windows
from ..evaluation.functional.submission import detections_to_polys

__all__ = [
    'image_color_type', 'build_tile_pipeline', 'crop_window',
    'tiled_inference', 'draw_detections', 'format_detections',
    'drop_outside', 'clip_to_image'
]

_GT_ONLY = ('LoadAnnotations', 'ConvertBoxType', 'FilterAnnotations')


def _type_name(t: dict) -> str:
    return str(t.get('type', '')).split('.')[-1]


def _pipeline_cfg(cfg) -> List[dict]:
    dataset = cfg.test_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset  # wrappers
    return copy.deepcopy(list(dataset.pipeline))


def image_color_type(cfg) -> str:
    """``color_type`` of the test pipeline's image loading (default color)."""
    for t in _pipeline_cfg(cfg):
        if _type_name(t).startswith('LoadImage'):
            return t.get('color_type', 'color')
    return 'color'


def build_tile_pipeline(cfg):
    """The config's test pipeline with the image taken from memory.

    ``LoadImageFromFile`` becomes ``mmdet.LoadImageFromNDArray``; transforms
    that only touch ground truth (``LoadAnnotations``, ``ConvertBoxType``,
    ``FilterAnnotations``) are dropped.
    """
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    steps = []
    for t in _pipeline_cfg(cfg):
        name = _type_name(t)
        if name in _GT_ONLY:
            continue
        if name.startswith('LoadImage'):
            t = dict(type='mmdet.LoadImageFromNDArray')
        steps.append(t)
    return Compose(steps)


def crop_window(image: np.ndarray, window: Sequence[int],
                pad_value: float = 0.) -> np.ndarray:
    """Crop ``[x1, y1, x2, y2]``, padding past the border with ``pad_value``.
    """
    x1, y1, x2, y2 = (int(v) for v in window)
    h, w = image.shape[:2]
    crop = image[y1:min(y2, h), x1:min(x2, w)]
    if crop.shape[:2] == (y2 - y1, x2 - x1):
        return np.ascontiguousarray(crop)
    out = np.full((y2 - y1, x2 - x1) + image.shape[2:], pad_value,
                  dtype=image.dtype)
    out[:crop.shape[0], :crop.shape[1]] = crop
    return out


def drop_outside(bboxes: Tensor, x: int, y: int, width: int,
                 height: int) -> Tensor:
    """Mask of tile boxes (tile coordinates, tile at ``(x, y)``) whose
    centre lies inside the ``width`` x ``height`` image, i.e. not in the
    padding of a border tile."""
    if bboxes.shape[-1] == 5:
        cx, cy = bboxes[:, 0] + x, bboxes[:, 1] + y
    else:
        cx = (bboxes[:, 0] + bboxes[:, 2]) / 2 + x
        cy = (bboxes[:, 1] + bboxes[:, 3]) / 2 + y
    return (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)


def clip_to_image(dets: Dict[str, Tensor], width: int,
                  height: int) -> Dict[str, Tensor]:
    """Clip horizontal boxes to the image and drop empty ones; rotated
    boxes (centres already inside) are kept as they are."""
    b = dets['bboxes']
    if b.shape[-1] != 4 or not len(b):
        return dets
    b = b.clone()
    b[:, 0::2] = b[:, 0::2].clamp(0, width)
    b[:, 1::2] = b[:, 1::2].clamp(0, height)
    keep = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
    return dict(dets, bboxes=b[keep], scores=dets['scores'][keep],
                labels=dets['labels'][keep])


@torch.no_grad()
def tiled_inference(model, image: np.ndarray, patch_size: int = 1024,
                    gap: int = 200, batch_size: int = 1,
                    iou_thr: float = 0.1, score_thr: float = 0.05,
                    max_per_img: Optional[int] = None,
                    pad_value: float = 0., progress: bool = True,
                    pipeline=None) -> Dict[str, Tensor]:
    """Detect objects in an image of any size, tile by tile.

    Args:
        model: A detector from ``mmdet.apis.init_detector`` (mmdet or
            mmrotate config; ``model.cfg`` is used for the pipeline).
        image: [H, W, C] BGR (or [H, W] for 1-channel models), any size;
            or a window reader with ``shape`` and ``read_window(window,
            pad_value)`` (e.g. :class:`~rsvheat_mm.apis.raster_io.RasterSource`
            giving the model's channels), read tile by tile; a reader's
            ``read_valid(window)`` (bool mask or None), if it has one,
            skips tiles without a valid pixel.
        patch_size: Tile side. Defaults to 1024.
        gap: Tile overlap. Defaults to 200 (objects up to ``gap`` px are
            seen whole in some tile).
        batch_size: Tiles per forward. Defaults to 1.
        iou_thr: Merge NMS IoU threshold. Defaults to 0.1.
        score_thr: Drop detections below it. Defaults to 0.05.
        max_per_img: Keep at most this many detections. Defaults to None.
        pad_value: Fill of tiles past the border. Defaults to 0.
        progress: Show a progress bar. Defaults to True.
        pipeline: A pipeline from :func:`build_tile_pipeline` to reuse.
            Defaults to None (built from ``model.cfg``).

    Returns:
        dict ``bboxes`` ([N, 4] or [N, 5]), ``scores``, ``labels`` in image
        coordinates, every box inside the image (see the module doc).
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar
    if pipeline is None:
        pipeline = build_tile_pipeline(model.cfg)
    h, w = image.shape[:2]
    windows = compute_windows(w, h, patch_size, gap)
    valid_of = getattr(image, 'read_valid', None)
    if valid_of is not None:  # tiles without a valid pixel are not run
        keep = []
        for win in windows:
            v = valid_of(win)
            keep.append(v is None or bool(v.any()))
        # all nodata: one tile still runs, so the result has its usual
        # box format (its objects lie on nodata; callers drop them)
        windows = windows[np.array(keep, bool)] if any(keep) else windows[:1]
    bar = ProgressBar(len(windows)) if progress else None
    tiles = []
    model.eval()
    for start in range(0, len(windows), batch_size):
        batch = windows[start:start + batch_size]
        # scale_factor (1, 1): a tile is at the image's scale unless a
        # Resize in the pipeline says otherwise (the detectors rescale by it)
        data = [pipeline(dict(img=_read_tile(image, win, pad_value),
                              img_id=start + i, scale_factor=(1., 1.)))
                for i, win in enumerate(batch)]
        preds = model.test_step(pseudo_collate(data))
        for win, pred in zip(batch, preds):
            inst = pred.pred_instances
            boxes = to_tensor(inst.bboxes)
            inside = drop_outside(boxes, int(win[0]), int(win[1]), w, h)
            tiles.append(dict(x=int(win[0]), y=int(win[1]),
                              bboxes=boxes[inside],
                              scores=to_tensor(inst.scores)[inside],
                              labels=to_tensor(inst.labels,
                                               torch.int64)[inside]))
            if bar is not None:
                bar.update()
    return clip_to_image(
        merge_tile_detections(tiles, iou_thr, max_per_img, score_thr), w, h)


def _read_tile(image, win, pad_value) -> np.ndarray:
    if hasattr(image, 'read_window'):
        return image.read_window(win, pad_value)
    return crop_window(image, win, pad_value)


def format_detections(dets: Dict, classes: Sequence[str]) -> List[str]:
    """Lines ``x1 y1 x2 y2 x3 y3 x4 y4 class score`` (DOTA-like, scored)."""
    polys = detections_to_polys(dets)
    scores = to_tensor(dets['scores']).numpy()
    labels = to_tensor(dets['labels'], torch.int64).numpy()
    return [' '.join(f'{v:.1f}' for v in p) +
            f' {classes[int(lab)].replace(" ", "_")} {float(s):.4f}'
            for p, lab, s in zip(polys, labels, scores)]


def draw_detections(image: np.ndarray, dets: Dict, classes: Sequence[str],
                    palette: Optional[Sequence[Tuple[int, int, int]]] = None,
                    thickness: int = 2, with_text: bool = True) -> np.ndarray:
    """Draw the boxes (polygons) on a copy of the image (BGR output).

    Args:
        image: [H, W(, C)] image; gray images are converted to BGR.
        dets: ``bboxes``, ``scores``, ``labels``.
        classes: Class names.
        palette: RGB colour per class. Defaults to None (a fixed hash).
        thickness: Line width in px. Defaults to 2.
        with_text: Write ``class score`` at each box. Defaults to True.
    """
    import cv2
    img = image
    if img.ndim == 2 or img.shape[2] == 1:
        img = cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR)
    if img.dtype != np.uint8:
        lo, hi = float(img.min()), float(img.max())
        img = ((img - lo) / max(hi - lo, 1e-6) * 255).astype(np.uint8)
    img = np.ascontiguousarray(img[..., :3]).copy()
    polys = detections_to_polys(dets)
    scores = to_tensor(dets['scores']).numpy()
    labels = to_tensor(dets['labels'], torch.int64).numpy()
    for poly, s, lab in zip(polys, scores, labels):
        if palette is not None:
            r, g, b = palette[int(lab) % len(palette)]
        else:
            r, g, b = ((int(lab) * 67 + 40) % 256, (int(lab) * 131 + 90) % 256,
                       (int(lab) * 29 + 200) % 256)
        pts = np.round(poly.reshape(4, 2)).astype(np.int32)
        cv2.polylines(img, [pts], True, (b, g, r), thickness)
        if with_text:
            cv2.putText(img, f'{classes[int(lab)]} {s:.2f}',
                        (int(pts[:, 0].min()), int(pts[:, 1].min()) - 3),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5, (b, g, r), 1)
    return img
