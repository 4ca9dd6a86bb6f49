"""Binary change-detection metrics: precision, recall, F1 and IoU.

Change-detection papers (LEVIR-CD, RS-vHeat's F1 93.48) report the scores of
the **changed class** from confusion counts summed over the whole test set,
not a mean over classes or images. With TP, FP, FN, TN the pixel counts of
the change class (``change_index``) and ignored pixels left out:

* precision = TP / (TP + FP), recall = TP / (TP + FN)
* F1 = 2 TP / (2 TP + FP + FN)  (= harmonic mean of precision and recall)
* IoU = TP / (TP + FP + FN)
* OA = (TP + TN) / (TP + FP + FN + TN)
* kappa = (OA - pe) / (1 - pe), pe the chance agreement.

A ratio whose denominator is 0 takes the value ``zero_division``, by
default NaN: the score is **undefined** and is logged as ``undefined``.
That is what Open-CD reports (its binary change-detection configs score
with mmseg's ``IoUMetric``, whose 0/0 precision, recall and F-score are NaN
with its default ``nan_to_num=None``). The case that matters: a model that
predicts no change at all has TP + FP = 0, so its precision is undefined,
not 100; its F1 (2 TP / (2 TP + FP + FN)) is still 0 when the labels hold
change. Pass ``zero_division=0.`` (or ``1.``) for a number instead.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from ...registry import METRICS, register

__all__ = ['ChangeDetectionMetric', 'change_scores']


def change_scores(tp: float, fp: float, fn: float, tn: float,
                  zero_division: float = float('nan')) -> Dict[str, float]:
    """Scores (fractions in [0, 1]) from the change class's pixel counts.

    Args:
        tp, fp, fn, tn: Confusion counts of the change class.
        zero_division: Value of a 0/0 ratio. Defaults to NaN (undefined).

    Returns:
        Dict with ``precision``, ``recall``, ``F1``, ``IoU``, ``OA`` and
        ``kappa``.
    """
    tp, fp, fn, tn = (float(v) for v in (tp, fp, fn, tn))

    def div(a: float, b: float) -> float:
        return a / b if b > 0 else float(zero_division)

    n = tp + fp + fn + tn
    oa = div(tp + tn, n)
    if n > 0:
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = div(oa - pe, 1. - pe) if pe < 1. else float(zero_division)
    else:
        kappa = float(zero_division)
    return OrderedDict(precision=div(tp, tp + fp), recall=div(tp, tp + fn),
                       F1=div(2 * tp, 2 * tp + fp + fn),
                       IoU=div(tp, tp + fp + fn), OA=oa, kappa=kappa)


def _fmt(v: float) -> str:
    return 'undefined' if v != v else f'{v:.2f}'


@register(METRICS, hosts=('mmseg', ))
class ChangeDetectionMetric(BaseMetric):
    """Precision, recall, F1, IoU (change class), OA and kappa, in percent.

    Reads ``pred_sem_seg`` and ``gt_sem_seg`` of mmseg ``SegDataSample``s
    (class 1 = changed by default) and sums the confusion counts over the
    dataset.

    Args:
        change_index: Label of the changed class. Defaults to 1.
        ignore_index: Label excluded from the counts. Defaults to 255.
        zero_division: Value (fraction) of a 0/0 ratio, e.g. the precision
            when no change is predicted. Defaults to NaN (undefined, as in
            Open-CD / mmseg's ``IoUMetric``).
        scale: Multiplier of the reported scores (100 gives percent, as in
            mmseg and the papers). Defaults to 100.
        collect_device: ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix: Prefix of the metric names. Defaults to None.
    """
    default_prefix: Optional[str] = None

    def __init__(self, change_index: int = 1, ignore_index: int = 255,
                 zero_division: float = float('nan'), scale: float = 100.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.change_index = change_index
        self.ignore_index = ignore_index
        self.zero_division = zero_division
        self.scale = scale

    def counts(self, pred: torch.Tensor, label: torch.Tensor) -> np.ndarray:
        """``[TP, FP, FN, TN]`` of one prediction against its label."""
        pred, label = pred.squeeze(), label.squeeze()
        if pred.shape != label.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and label '
                             f'{tuple(label.shape)} differ in shape')
        valid = label != self.ignore_index
        p = (pred == self.change_index) & valid
        g = (label == self.change_index) & valid
        tp = int((p & g).sum())
        fp = int((p & ~g).sum())
        fn = int((~p & g).sum())
        tn = int(valid.sum()) - tp - fp - fn
        return np.array([tp, fp, fn, tn], dtype=np.int64)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data']
            label = sample['gt_sem_seg']['data'].to(pred.device)
            self.results.append(self.counts(pred, label))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        total = np.sum(results, axis=0) if results else np.zeros(4, np.int64)
        scores = change_scores(*total.tolist(),
                               zero_division=self.zero_division)
        out = OrderedDict((k, v * self.scale) for k, v in scores.items())
        logger = MMLogger.get_current_instance()
        print_log('change class: ' + ', '.join(
            f'{k} {_fmt(v)}' for k, v in out.items()) +
            f' (TP {total[0]}, FP {total[1]}, FN {total[2]}, TN {total[3]})'
            + ('; precision is undefined: no change was predicted'
               if total[0] + total[1] == 0 else ''),
            logger=logger)
        return out
