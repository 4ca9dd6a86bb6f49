"""BEV metrics: semantic IoU (collaborative vs best single platform, bytes)
and centre-distance AP."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from ...registry import METRICS, register

__all__ = ['BEVSegIoUMetric', 'BEVCenterAPMetric', 'seg_counts',
           'average_precision']


def seg_counts(pred: torch.Tensor, gt: torch.Tensor,
               num_classes: int) -> np.ndarray:
    """Per-class ``[intersection, union]`` counts, shape [K, 2]."""
    pred, gt = pred.reshape(-1).long(), gt.reshape(-1).long()
    out = np.zeros((num_classes, 2), dtype=np.int64)
    for k in range(num_classes):
        p, g = pred == k, gt == k
        out[k] = [int((p & g).sum()), int((p | g).sum())]
    return out


def _fg_miou(counts: np.ndarray) -> float:
    """Mean IoU of the foreground classes present (union > 0) in counts."""
    fg = counts[1:]
    ok = fg[:, 1] > 0
    if not ok.any():
        return 1.0
    return float((fg[ok, 0] / fg[ok, 1]).mean())


@register(METRICS)
class BEVSegIoUMetric(BaseMetric):
    """BEV semantic IoU, the best single platform, and bytes sent.

    Reports (prefix ``bev``): ``IoU_<class>`` and ``mIoU`` (foreground
    classes) of the main prediction; with per-platform predictions
    (``pred_bev_seg_agents``) also ``best_single_IoU_<class>`` and
    ``best_single_mIoU`` -- per scene the single platform with the highest
    foreground mIoU (an oracle choice, the strongest single baseline) -- and
    ``gain_over_best_single`` = ``mIoU - best_single_mIoU``; and
    ``bytes_per_agent`` (mean over sending platforms and frames),
    ``bytes_per_frame`` (sum over platforms, mean over frames).

    Args:
        num_classes: Classes including background. Defaults to the dataset
            meta ``classes`` (3 for the generated data).
        collect_device: ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix: Defaults to 'bev'.
    """

    default_prefix = 'bev'

    def __init__(self, num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes

    @property
    def classes(self) -> Sequence[str]:
        names = (self.dataset_meta or {}).get('classes')
        k = self.num_classes or (len(names) if names else 3)
        if names and len(names) == k:
            return list(names)
        return [f'class{i}' for i in range(k)]

    def process(self, data_batch, data_samples: Sequence) -> None:
        k = len(self.classes)
        for ds in data_samples:
            gt = ds.get('gt_bev_seg')
            res = dict(main=seg_counts(ds.get('pred_bev_seg'), gt, k))
            agents = ds.get('pred_bev_seg_agents')
            if agents is not None and len(agents):
                per = [seg_counts(a, gt, k) for a in agents]
                res['best'] = max(per, key=_fg_miou)
            sent = list(ds.get('bytes_sent') or [])
            res['bytes'] = [int(b) for b in sent[1:]]
            self.results.append(res)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        names = self.classes
        out: Dict[str, float] = {}
        for key, tag in (('main', ''), ('best', 'best_single_')):
            rows = [r[key] for r in results if key in r]
            if not rows:
                continue
            tot = np.sum(rows, axis=0)
            ious = tot[:, 0] / np.maximum(tot[:, 1], 1)
            for i in range(1, len(names)):
                out[f'{tag}IoU_{names[i]}'] = float(ious[i])
            out[f'{tag}mIoU'] = float(ious[1:].mean())
        if 'best_single_mIoU' in out:
            out['gain_over_best_single'] = out['mIoU'] - \
                out['best_single_mIoU']
        sent = [b for r in results for b in r['bytes']]
        out['bytes_per_agent'] = float(np.mean(sent)) if sent else 0.0
        out['bytes_per_frame'] = float(
            np.mean([sum(r['bytes']) for r in results])) if results else 0.0
        return out


def average_precision(scores: np.ndarray, tp: np.ndarray,
                      num_gt: int) -> float:
    """All-point interpolated AP from detection scores and TP flags."""
    if num_gt == 0:
        return float('nan')
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-scores, kind='stable')
    tp = tp[order].astype(np.float64)
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / num_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]).sum())


@register(METRICS)
class BEVCenterAPMetric(BaseMetric):
    """AP of BEV detections matched by centre distance (nuScenes style).

    Detections of all frames are ranked by score; each is a true positive
    when an unmatched ground-truth centre of its class lies within the
    threshold (greedy, nearest first). Reports ``AP@<t>m`` per threshold and
    their mean ``mAP`` (prefix ``bev_det``), for the classes in
    ``classes``.

    Args:
        thresholds: Centre-distance thresholds in metres.
            Defaults to (1.0, 2.0, 4.0).
        classes: Dataset label ids evaluated. Defaults to (0, ) (vehicle).
        collect_device: Defaults to 'cpu'.
        prefix: Defaults to 'bev_det'.
    """

    default_prefix = 'bev_det'

    def __init__(self, thresholds: Sequence[float] = (1.0, 2.0, 4.0),
                 classes: Sequence[int] = (0, ), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.label_ids = tuple(int(c) for c in classes)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for ds in data_samples:
            pred = ds.get('pred_det')
            if pred is None:
                raise KeyError('BEVCenterAPMetric needs pred_det; the model '
                               'was built with det_head=None.')
            self.results.append(dict(
                boxes=np.asarray(pred['boxes'])[:, :2].reshape(-1, 2),
                scores=np.asarray(pred['scores']).reshape(-1),
                labels=np.asarray(pred['labels']).reshape(-1),
                gt=np.asarray(ds.get('gt_boxes'))[:, :2].reshape(-1, 2),
                gt_labels=np.asarray(ds.get('gt_labels')).reshape(-1)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        out = {}
        for t in self.thresholds:
            aps = []
            for c in self.label_ids:
                scores, tps, num_gt = [], [], 0
                for r in results:
                    gt = r['gt'][r['gt_labels'] == c]
                    num_gt += len(gt)
                    keep = r['labels'] == c
                    det, sc = r['boxes'][keep], r['scores'][keep]
                    used = np.zeros(len(gt), dtype=bool)
                    for j in np.argsort(-sc, kind='stable'):
                        hit = False
                        if len(gt):
                            d = np.linalg.norm(gt - det[j], axis=1)
                            d[used] = np.inf
                            m = int(d.argmin())
                            if d[m] <= t:
                                used[m] = hit = True
                        scores.append(sc[j])
                        tps.append(hit)
                aps.append(average_precision(np.array(scores),
                                             np.array(tps, dtype=bool),
                                             num_gt))
            out[f'AP@{t:g}m'] = float(np.nanmean(aps)) if not all(
                np.isnan(aps)) else 0.0
        out['mAP'] = float(np.mean([out[f'AP@{t:g}m']
                                    for t in self.thresholds]))
        return out
