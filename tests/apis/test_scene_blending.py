"""Stitching of window logits (RowBlender) and strip-wise polygons."""
import numpy as np
import pytest

from rsvheat_mm.apis.scene_blending import (MaskPolygonizer, RowBlender,
                                            window_ramp, window_weight)
from rsvheat_mm.apis.scene_inference import clip_windows
from rsvheat_mm.utils.patch.split import compute_windows

GEOMS = [(700, 530, 256, 64), (256, 256, 256, 64), (1000, 300, 200, 150),
         (100, 90, 256, 64), (513, 260, 128, 100), (300, 1100, 256, 64)]


def _blend(width, height, windows, per_window, channels, ramp):
    b = RowBlender(width, height, windows, channels, ramp)
    out = np.full((channels, height, width), np.nan, np.float32)
    row = 0
    for win, logits in zip(windows, per_window):
        for r0, v in b.add(logits):
            assert r0 == row  # strips come top to bottom, contiguous
            out[:, r0:r0 + v.shape[1]] = v
            row += v.shape[1]
    assert row == height and b.finished
    return out


@pytest.mark.parametrize('even', [False, True])
@pytest.mark.parametrize('width,height,patch,gap', GEOMS)
def test_blender_is_the_weighted_mean(width, height, patch, gap, even):
    """Different logits per window: the strips equal the float64 weighted
    mean over every window covering a pixel (devkit layout: overlaps of
    gap and a larger last one; even layout: overlaps of varying size)."""
    rng = np.random.default_rng(width + height)
    wins = clip_windows(compute_windows(width, height, patch, gap, even),
                        width, height)
    ph, pw = wins[0, 3] - wins[0, 1], wins[0, 2] - wins[0, 0]
    logits = [rng.normal(size=(3, ph, pw)).astype(np.float32) for _ in wins]
    out = _blend(width, height, wins, logits, 3, gap)
    acc = np.zeros((3, height, width))
    wsum = np.zeros((height, width))
    w = window_weight(ph, pw, gap).astype(np.float64)
    for (x1, y1, x2, y2), lg in zip(wins, logits):
        acc[:, y1:y2, x1:x2] += w * lg
        wsum[y1:y2, x1:x2] += w
    np.testing.assert_allclose(out, acc / wsum, rtol=1e-4, atol=1e-5)


def test_blender_reproduces_consistent_logits_and_reduces():
    """Windows of one smooth field: the field comes back exactly, and the
    reduced (argmax) strips equal the argmax of the field."""
    rng = np.random.default_rng(1)
    H, W = 530, 700
    full = rng.normal(size=(4, H, W)).astype(np.float32)
    wins = compute_windows(W, H, 256, 64)
    b = RowBlender(W, H, wins, 4, 64, lambda x: x.argmax(0).astype(np.uint8))
    out = np.zeros((H, W), np.uint8)
    for x1, y1, x2, y2 in wins:
        for r0, v in b.add(full[:, y1:y2, x1:x2]):
            out[r0:r0 + len(v)] = v
    np.testing.assert_array_equal(out, full.argmax(0))


def test_window_ramp():
    r = window_ramp(100, 20)
    assert (r > 0).all() and r.max() == 1
    np.testing.assert_allclose(r, r[::-1])
    assert (r[20:80] == 1).all() and (np.diff(r[:20]) > 0).all()
    assert (window_ramp(10, 0) == 1).all()


def test_blender_rejects_bad_input():
    wins = compute_windows(300, 300, 200, 50)
    b = RowBlender(300, 300, wins, 2, 50)
    with pytest.raises(ValueError, match='expected'):
        b.add(np.zeros((3, 200, 200)))
    with pytest.raises(ValueError, match='one size'):
        RowBlender(300, 300, np.array([[0, 0, 200, 200], [100, 0, 300, 150]]),
                   2)


def _components(mask):
    from scipy import ndimage
    return ndimage.label(mask)[1]  # 4-connectivity by default


@pytest.mark.parametrize('strip', [7, 32, 1000])
def test_polygonizer_joins_regions_across_strips(strip):
    """One polygon per 4-connected region, whatever the strip height, and
    the polygons rasterise back to the mask."""
    pytest.importorskip('shapely')
    from rasterio.features import rasterize
    rng = np.random.default_rng(strip)
    mask = np.zeros((120, 90), np.uint8)
    mask[5:60, 10:20] = 1       # a tall bar crossing many strips
    mask[30:35, 10:80] = 1      # joined to it by a horizontal bar
    mask[70:110, 40:70] = 1     # a ring (a hole inside)
    mask[80:100, 50:60] = 0
    mask[100:101, 0:5] = 1
    mask[101:102, 5:8] = 1      # corner contact only: two regions
    mask |= (rng.random(mask.shape) > 0.985).astype(np.uint8)
    poly = MaskPolygonizer(90, 120)
    geoms = []
    for r0 in range(0, 120, strip):
        geoms += list(poly.add(r0, mask[r0:r0 + strip]))
    geoms += poly.close()
    assert len(geoms) == _components(mask)
    assert sum(g.area for g in geoms) == pytest.approx(mask.sum())
    back = rasterize([(g, 1) for g in geoms], out_shape=mask.shape)
    np.testing.assert_array_equal(back, mask)

