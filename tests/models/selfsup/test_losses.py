"""Losses and heads: zero for a perfect reconstruction, grow with the error,
contrastive loss symmetric and bounded."""
import math

import numpy as np
import pytest
import torch
from scipy.fft import dctn

from rsvheat_mm.models.selfsup.heads import (CrossModalContrastiveHead,
                                      FrequencyReconstructionHead,
                                      RSvHeatReconDecoder,
                                      SpatialReconstructionHead)
from rsvheat_mm.models.selfsup.losses import (CrossModalContrastiveLoss,
                                       FrequencyL1Loss, PixelL1Loss)


def _rand(*shape):
    seed = int(torch.randint(1 << 30, (1, )))
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


@pytest.mark.parametrize('loss', [
    PixelL1Loss(), FrequencyL1Loss(), FrequencyL1Loss(normalize='none'),
    FrequencyL1Loss(freq_weighting=True)
])
def test_reconstruction_losses_zero_and_growing(loss):
    x = _rand(2, 3, 24, 20)
    err = _rand(2, 3, 24, 20)
    assert float(loss(x, x.clone())) == 0.0
    values = [float(loss(x + s * err, x)) for s in (0.01, 0.1, 1., 10.)]
    assert values[0] > 0
    assert all(a < b for a, b in zip(values, values[1:]))


def test_pixel_l1_matches_reference():
    x, y = _rand(2, 1, 8, 9), _rand(2, 1, 8, 9)
    got = float(PixelL1Loss(loss_weight=2.)(x, y))
    assert math.isclose(got, 2 * np.abs(x.numpy() - y.numpy()).mean(),
                        rel_tol=1e-12)


def test_frequency_l1_matches_float64_reference():
    x, y = _rand(2, 3, 12, 10), _rand(2, 3, 12, 10)
    px = dctn(x.numpy(), type=2, norm='ortho', axes=(2, 3))
    py = dctn(y.numpy(), type=2, norm='ortho', axes=(2, 3))
    raw = np.abs(px - py).mean()
    assert math.isclose(float(FrequencyL1Loss(normalize='none')(x, y)), raw,
                        rel_tol=1e-10)
    num = np.abs(px - py).sum(axis=(2, 3))
    den = (np.abs(px) + np.abs(py)).sum(axis=(2, 3)) + 1e-6
    assert math.isclose(float(FrequencyL1Loss()(x, y)), (num / den).mean(),
                        rel_tol=1e-10)
    # float32 path within tolerance of the float64 reference
    got32 = float(FrequencyL1Loss()(x.float(), y.float()))
    assert abs(got32 - (num / den).mean()) / (num / den).mean() < 1e-5


def test_frequency_l1_bounded_and_scale_invariant():
    x = _rand(2, 1, 16, 16)
    loss = FrequencyL1Loss()
    for s in (1e-3, 1., 1e3, 1e6):
        assert 0 <= float(loss(x * 0 + s * _rand(2, 1, 16, 16), x)) <= 1
    y = _rand(2, 1, 16, 16)
    assert math.isclose(float(loss(1e4 * y, 1e4 * x)), float(loss(y, x)),
                        rel_tol=1e-6)
    # anti-correlated prediction reaches the bound
    assert math.isclose(float(loss(-x, x)), 1.0, rel_tol=1e-6)


def test_contrastive_symmetric_bounded_and_ordered():
    loss = CrossModalContrastiveLoss(temperature=0.1)
    a, b = _rand(8, 16), _rand(8, 16)
    lab, lba = float(loss(a, b)), float(loss(b, a))
    assert math.isclose(lab, lba, rel_tol=1e-9)
    assert 0 <= lab <= loss.upper_bound(8)
    # worst case (positives opposite, a negative identical) stays bounded
    e = torch.eye(8, dtype=torch.float64)
    worst = float(loss(e, -e + torch.roll(e, 1, 0) * 3))
    assert worst <= loss.upper_bound(8)
    # aligned positives give a lower loss than random pairs
    aligned = float(loss(a, a + 0.01 * _rand(8, 16)))
    assert aligned < lab
    assert aligned > 0


def test_cosine_mode_zero_for_identical_and_growing():
    loss = CrossModalContrastiveLoss(mode='cosine')
    a = _rand(6, 10)
    assert float(loss(a, 3 * a)) < 1e-12
    d = _rand(6, 10)
    vals = [float(loss(a, a + s * d)) for s in (0.01, 0.1, 1.)]
    assert all(x < y for x, y in zip(vals, vals[1:]))
    assert math.isclose(float(loss(a, -a)), 2.0, rel_tol=1e-9)
    assert math.isclose(float(loss(a, d)), float(loss(d, a)), rel_tol=1e-12)


def test_contrastive_empty_and_bad_shapes():
    loss = CrossModalContrastiveLoss()
    assert float(loss(torch.zeros(0, 4), torch.zeros(0, 4))) == 0
    with pytest.raises(ValueError, match='same shape'):
        loss(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError):
        CrossModalContrastiveLoss(mode='triplet')
    with pytest.raises(ValueError, match='same shape'):
        PixelL1Loss()(torch.zeros(1, 3, 8, 8), torch.zeros(1, 1, 8, 8))


def test_heads_and_decoder():
    dec = RSvHeatReconDecoder(in_channels=(32, 64), channels=16,
                              out_channels=dict(opt=3, sar=1))
    feats = (None, None, torch.randn(2, 32, 4, 5), torch.randn(2, 64, 2, 3))
    assert dec(feats, 'opt', (64, 80)).shape == (2, 3, 64, 80)
    assert dec(feats, 'sar', (60, 70)).shape == (2, 1, 60, 70)
    with pytest.raises(ValueError, match='no output for modality'):
        dec(feats, 'ms', (64, 80))
    x = torch.randn(2, 3, 16, 16)
    for head in (SpatialReconstructionHead(), FrequencyReconstructionHead()):
        assert float(head.loss(x, x)) == 0
        assert float(head.loss(x + 1, x)) > 0
    con = CrossModalContrastiveHead(in_channels=64, hidden_channels=32,
                                    out_channels=8)
    z = con.project(feats[3])
    assert z.shape == (2, 8)
    assert float(con.loss(z, z.flip(0))) > float(con.loss(z, z))
