"""Change-detection metric against hand-computed values."""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import rsvheat_mm  # noqa: F401
from mmseg.registry import METRICS
from rsvheat_mm.evaluation.metrics.change_metric import (ChangeDetectionMetric,
                                                 change_scores)

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py


def _sample(pred, gt) -> dict:
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.tensor(gt)[None])
    return s.to_dict()


def _run(metric, pairs):
    metric.process({}, [_sample(p, g) for p, g in pairs])
    return metric.evaluate(len(pairs))


def test_hand_computed_with_ignore():
    pred = [[1, 1, 0], [0, 1, 0]]
    gt = [[1, 0, 0], [1, 1, 255]]  # last pixel ignored
    m = METRICS.build(dict(type='ChangeDetectionMetric'))
    assert m.counts(torch.tensor(pred), torch.tensor(gt)).tolist() == \
        [2, 1, 1, 1]
    out = _run(m, [(pred, gt)])
    # TP 2, FP 1, FN 1, TN 1
    assert out['precision'] == pytest.approx(100 * 2 / 3)
    assert out['recall'] == pytest.approx(100 * 2 / 3)
    assert out['F1'] == pytest.approx(100 * 4 / 6)
    assert out['IoU'] == pytest.approx(100 * 2 / 4)
    assert out['OA'] == pytest.approx(100 * 3 / 5)
    pe = (3 * 3 + 2 * 2) / 25
    assert out['kappa'] == pytest.approx(100 * (0.6 - pe) / (1 - pe))


def test_counts_are_summed_over_the_dataset():
    # image 1: TP 1, FP 3; image 2: TP 4, FN 0  -> dataset F1 from sums
    p1, g1 = [[1, 1, 1, 1]], [[1, 0, 0, 0]]
    p2, g2 = [[1, 1, 1, 1]], [[1, 1, 1, 1]]
    out = _run(ChangeDetectionMetric(), [(p1, g1), (p2, g2)])
    tp, fp, fn = 5, 3, 0
    assert out['F1'] == pytest.approx(100 * 2 * tp / (2 * tp + fp + fn))
    mean_of_images = 100 * (2 / 5 + 1) / 2
    assert not math.isclose(out['F1'], mean_of_images)


def test_empty_change():
    zeros = [[0, 0], [0, 0]]
    out = _run(ChangeDetectionMetric(), [(zeros, zeros)])
    # 0/0 scores are undefined (NaN, logged 'undefined'), as Open-CD does
    assert all(math.isnan(out[k]) for k in ('precision', 'recall', 'F1',
                                            'IoU'))
    assert out['OA'] == pytest.approx(100.)
    # a false alarm on an image without change
    out = _run(ChangeDetectionMetric(), [([[0, 1], [0, 0]], zeros)])
    assert out['precision'] == 0. and out['F1'] == 0. and out['IoU'] == 0.
    assert math.isnan(out['recall'])  # 0/0: undefined
    assert out['OA'] == pytest.approx(75.)
    # missed change
    out = _run(ChangeDetectionMetric(zero_division=0.),
               [(zeros, [[1, 0], [0, 0]])])
    assert out['precision'] == 0. and out['recall'] == 0.
    assert out['F1'] == 0. and out['IoU'] == 0.
    # nothing at all (all pixels ignored)
    s = change_scores(0, 0, 0, 0, zero_division=0.)
    assert s['F1'] == 0. and s['OA'] == 0.


def test_against_float64_reference_on_random_masks():
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 2, (3, 37, 41))
    gt = rng.integers(0, 2, (3, 37, 41))
    gt[rng.random(gt.shape) < 0.1] = 255
    out = _run(ChangeDetectionMetric(scale=1.), list(zip(pred, gt)))
    v = gt != 255
    p, g = (pred == 1) & v, (gt == 1) & v
    tp = np.float64((p & g).sum())
    fp = np.float64((p & ~g).sum())
    fn = np.float64((~p & g).sum())
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    np.testing.assert_allclose(out['F1'], 2 * prec * rec / (prec + rec),
                               rtol=1e-12)
    np.testing.assert_allclose(out['IoU'], tp / (tp + fp + fn), rtol=1e-12)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='differ in shape'):
        ChangeDetectionMetric().counts(torch.zeros(2, 3), torch.zeros(3, 2))
