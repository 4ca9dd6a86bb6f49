"""Map tile detections back to the full image and merge them with NMS.

Tile detections are shifted by the tile offset, divided by the split scale,
concatenated per image and reduced by class-wise NMS: rotated NMS
(``mmcv.ops.nms_rotated``) for ``(cx, cy, w, h, angle)`` boxes, plain NMS for
``(x1, y1, x2, y2)`` boxes. The IoU threshold 0.1 is the one mmrotate's
``DOTAMetric`` uses to merge patches.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from .split import parse_tile_id

__all__ = [
    'shift_boxes', 'nms_merge', 'merge_tile_detections', 'merge_by_image',
    'rbox_to_poly', 'to_tensor'
]

ArrayLike = Union[np.ndarray, Tensor, Sequence]


def to_tensor(x: ArrayLike, dtype=torch.float32) -> Tensor:
    """Tensor (on CPU) of an array, a tensor or an mmdet/mmrotate box."""
    if hasattr(x, 'tensor'):  # BaseBoxes
        x = x.tensor
    if isinstance(x, Tensor):
        return x.detach().to('cpu', dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def rbox_to_poly(rboxes: ArrayLike) -> np.ndarray:
    """``(cx, cy, w, h, a)`` [N, 5] (radians) to corners [N, 8] (float64).

    Corner order matches mmrotate's ``rbox2qbox``: ``c + u + v``,
    ``c + u - v``, ``c - u - v``, ``c - u + v`` with ``u = w/2 (cos, sin)``
    and ``v = h/2 (-sin, cos)``.
    """
    r = np.asarray(to_tensor(rboxes, torch.float64).numpy()).reshape(-1, 5)
    c, w, h, a = r[:, :2], r[:, 2:3], r[:, 3:4], r[:, 4:5]
    u = np.concatenate([np.cos(a), np.sin(a)], 1) * w / 2
    v = np.concatenate([-np.sin(a), np.cos(a)], 1) * h / 2
    pts = np.stack([c + u + v, c + u - v, c - u - v, c - u + v], 1)
    return pts.reshape(-1, 8)


def shift_boxes(boxes: Tensor, x: float, y: float,
                rate: float = 1.0) -> Tensor:
    """Tile boxes to image boxes: add the offset, then divide by ``rate``.

    Args:
        boxes: [N, 4] ``(x1, y1, x2, y2)`` or [N, 5] ``(cx, cy, w, h, a)``.
        x: Tile left offset (in the scaled image).
        y: Tile top offset (in the scaled image).
        rate: Split scale. Defaults to 1.0.
    """
    boxes = boxes.clone()
    if boxes.shape[-1] == 4:
        boxes += boxes.new_tensor([x, y, x, y])
        return boxes / rate
    if boxes.shape[-1] != 5:
        raise ValueError(f'boxes must be [N, 4] or [N, 5], got '
                         f'{tuple(boxes.shape)}')
    boxes[:, :2] += boxes.new_tensor([x, y])
    boxes[:, :4] /= rate
    return boxes


def nms_merge(boxes: Tensor, scores: Tensor, labels: Tensor,
              iou_thr: float = 0.1, max_per_img: Optional[int] = None,
              class_agnostic: bool = False) -> Dict[str, Tensor]:
    """Class-wise NMS of boxes gathered from tiles.

    Args:
        boxes: [N, 4] horizontal or [N, 5] rotated boxes.
        scores: [N] scores.
        labels: [N] class indices.
        iou_thr: IoU threshold. Defaults to 0.1 (mmrotate's patch merge).
        max_per_img: Keep at most this many (highest scores). Defaults to
            None (all).
        class_agnostic: One NMS over all classes. Defaults to False.

    Returns:
        dict ``bboxes``, ``scores``, ``labels`` sorted by score.
    """
    from mmcv.ops import batched_nms, nms_rotated
    boxes, scores = boxes.float(), scores.float()
    labels = labels.long()
    if boxes.numel() == 0:
        return dict(bboxes=boxes.reshape(0, boxes.shape[-1]),
                    scores=scores.reshape(0), labels=labels.reshape(0))
    idxs = torch.zeros_like(labels) if class_agnostic else labels
    if boxes.shape[-1] == 5:
        # one call per class: mmcv's CPU kernel ignores nms_rotated(labels=)
        keeps = []
        for c in idxs.unique():
            ids = (idxs == c).nonzero().squeeze(1)
            _, k = nms_rotated(boxes[ids], scores[ids], iou_thr)
            keeps.append(ids[k])
        keep = torch.cat(keeps)
    else:
        _, keep = batched_nms(boxes, scores, idxs,
                              dict(type='nms', iou_threshold=iou_thr))
    keep = keep[scores[keep].argsort(descending=True)]
    if max_per_img is not None:
        keep = keep[:max_per_img]
    return dict(bboxes=boxes[keep], scores=scores[keep], labels=labels[keep])


def merge_tile_detections(tiles: Sequence[Dict], iou_thr: float = 0.1,
                          max_per_img: Optional[int] = None,
                          score_thr: float = 0.) -> Dict[str, Tensor]:
    """Merge the detections of the tiles of ONE image.

    Args:
        tiles: Dicts with ``x``, ``y`` (offsets), optional ``rate``
            (default 1) and ``bboxes``, ``scores``, ``labels`` in tile
            coordinates.
        iou_thr: NMS IoU threshold. Defaults to 0.1.
        max_per_img: See :func:`nms_merge`. Defaults to None.
        score_thr: Drop detections below this score first. Defaults to 0.

    Returns:
        dict ``bboxes``, ``scores``, ``labels`` in image coordinates.
    """
    boxes, scores, labels = [], [], []
    for t in tiles:
        b = to_tensor(t['bboxes'])
        s = to_tensor(t['scores']).reshape(-1)
        lab = to_tensor(t['labels'], torch.int64).reshape(-1)
        if not (len(b) == len(s) == len(lab)):
            raise ValueError(f'tile at ({t["x"]}, {t["y"]}): {len(b)} '
                             f'boxes, {len(s)} scores, {len(lab)} labels')
        m = s >= score_thr
        boxes.append(shift_boxes(b[m], t['x'], t['y'], t.get('rate', 1.)))
        scores.append(s[m])
        labels.append(lab[m])
    if not boxes:
        raise ValueError('merge_tile_detections got no tiles')
    return nms_merge(torch.cat(boxes), torch.cat(scores), torch.cat(labels),
                     iou_thr, max_per_img)


def merge_by_image(results: Sequence[Dict], iou_thr: float = 0.1,
                   max_per_img: Optional[int] = None,
                   score_thr: float = 0.) -> 'OrderedDict[str, Dict]':
    """Group tile results by image (from the tile id) and merge each image.

    Args:
        results: Dicts with ``img_id`` (a tile id, see
            :func:`~rsvheat_mm.utils.patch.split.parse_tile_id`, which also
            reads the DOTA kit's rate-in-the-middle ids; ids that are not
            tile ids are treated as whole images) and ``bboxes``,
            ``scores``, ``labels``.
        iou_thr: See :func:`merge_tile_detections`. Defaults to 0.1.
        max_per_img: Defaults to None.
        score_thr: Defaults to 0.

    Returns:
        ``{image stem: dict(bboxes, scores, labels)}`` in first-seen order.
    """
    groups: 'OrderedDict[str, List[Dict]]' = OrderedDict()
    for res in results:
        try:
            stem, x, y, rate = parse_tile_id(res['img_id'])
        except ValueError:
            stem, x, y, rate = res['img_id'], 0, 0, 1.
        groups.setdefault(stem, []).append(dict(res, x=x, y=y, rate=rate))
    return OrderedDict(
        (stem, merge_tile_detections(tiles, iou_thr, max_per_img, score_thr))
        for stem, tiles in groups.items())
