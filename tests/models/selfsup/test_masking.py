"""Frequency-domain hierarchical masking: properties on fresh random inputs."""
import math

import numpy as np
import pytest
import torch
from scipy.fft import dctn, idctn

from rsvheat_mm.models.selfsup.masking import (FrequencyHierarchicalMasking,
                                        image_dct, image_idct)


def _rand(b=3, c=3, h=40, w=56, seed=None):
    g = torch.Generator().manual_seed(
        seed if seed is not None else int(torch.randint(1 << 30, (1, ))))
    return torch.randn(b, c, h, w, generator=g, dtype=torch.float64)


def test_dct_matches_scipy_float64():
    x = _rand(2, 2, 17, 23)
    ref = dctn(x.numpy(), type=2, norm='ortho', axes=(2, 3))
    got = image_dct(x).numpy()
    assert np.abs(got - ref).max() / np.abs(ref).max() < 1e-12
    back = idctn(ref, type=2, norm='ortho', axes=(2, 3))
    assert np.abs(image_idct(torch.from_numpy(ref)).numpy() - back).max() \
        < 1e-12


@pytest.mark.parametrize('ratio', [0.2, 0.25, 0.3, 0.6])
def test_masked_fraction_matches_config(ratio):
    x = _rand(4, 3, 48, 40)
    out = FrequencyHierarchicalMasking(ratio=ratio)(x)
    n_high = out.high_mask.flatten(1).sum(1).double()
    n_drop = out.drop_mask.flatten(1).sum(1).double()
    # exactly round(ratio * N_high) coefficients per image
    assert torch.equal(n_drop, torch.round(ratio * n_high))
    assert ((n_drop / n_high - ratio).abs() <= 0.5 / n_high + 1e-12).all()


def test_ratio_range_sampled_per_image():
    out = FrequencyHierarchicalMasking(ratio=(0.2, 0.3))(_rand(16, 1, 32, 32))
    assert ((out.ratio >= 0.2) & (out.ratio <= 0.3)).all()
    assert out.ratio.unique().numel() > 1
    n_high = out.high_mask.flatten(1).sum(1).double()
    frac = out.drop_mask.flatten(1).sum(1) / n_high
    assert ((frac - out.ratio.double()).abs() <= 0.5 / n_high + 1e-6).all()


def test_views_complementary_and_reconstruct_image():
    x = _rand(3, 3, 36, 44)
    out = FrequencyHierarchicalMasking()(x)
    # low and high bands: disjoint, union = whole spectrum
    assert not (out.low_mask & out.high_mask).any()
    assert (out.low_mask | out.high_mask).all()
    # dropped coefficients lie in the high band only
    assert not (out.drop_mask & out.low_mask).any()
    # encoder input = low view + masked high view
    rel = (out.low + out.high - out.masked).abs().max() / x.abs().max()
    assert rel < 1e-12
    # and image = masked input + what was dropped (float64 reference)
    spec = torch.from_numpy(dctn(x.numpy(), type=2, norm='ortho',
                                 axes=(2, 3)))
    dropped = torch.from_numpy(idctn(
        (spec * out.drop_mask[:, None]).numpy(), type=2, norm='ortho',
        axes=(2, 3)))
    assert ((out.masked + dropped - x).abs().max() / x.abs().max()) < 1e-12
    # the low view holds exactly the low-band spectrum
    low_spec = image_dct(out.low)
    assert (low_spec * out.high_mask[:, None]).abs().max() < 1e-9
    assert torch.allclose(low_spec * out.low_mask[:, None],
                          spec * out.low_mask[:, None], atol=1e-9)


def test_dc_never_masked_and_mean_kept():
    x = _rand(8, 2, 32, 32) + 5.0
    out = FrequencyHierarchicalMasking(ratio=0.3, low_radius=(1e-3, 2e-3))(x)
    assert out.low_mask[:, 0, 0].all()
    assert not out.drop_mask[:, 0, 0].any()
    # the mean lives in the DC bin only, so every view but high keeps it
    assert torch.allclose(out.masked.mean(dim=(2, 3)), x.mean(dim=(2, 3)))
    assert torch.allclose(out.low.mean(dim=(2, 3)), x.mean(dim=(2, 3)))
    assert out.high.mean(dim=(2, 3)).abs().max() < 1e-9


def test_hierarchy_levels_as_documented():
    h, w = 48, 40
    m = FrequencyHierarchicalMasking(num_rings=4, num_sectors=8)
    out = m(_rand(4, 1, h, w))
    fu = torch.arange(h, dtype=torch.float64)[:, None] / h
    fv = torch.arange(w, dtype=torch.float64)[None, :] / w
    r = torch.sqrt(fu**2 + fv**2)
    theta = torch.atan2(fu.expand(h, w), fv.expand(h, w))
    for b in range(4):
        rho = float(out.rho[b])
        assert 0.05 <= rho <= 0.15
        # level 1: low band is r < rho
        assert torch.equal(out.low_mask[b], r < rho)
        hi = out.high_mask[b]
        ring, sector = out.ring_index[b], out.sector_index[b]
        assert (ring[~hi] == -1).all() and (sector[~hi] == -1).all()
        # level 2: equal-width rings over [rho, r_max]
        pos = (r[hi] - rho) / (r.max() - rho)
        want = (pos * 4).floor().clamp(0, 3).long()
        assert torch.equal(ring[hi], want)
        # level 3: equal-angle sectors over [0, pi/2]
        want_s = (theta[hi] / (math.pi / 2) * 8).floor().clamp(0, 7).long()
        assert torch.equal(sector[hi], want_s)
        # drawing: whole cells are dropped, at most one cell is partial
        cell = ring * 8 + sector
        partial = 0
        for c in cell[hi].unique():
            sel = (cell == c) & hi
            d = out.drop_mask[b][sel]
            if d.any() and not d.all():
                partial += 1
                # a partial cell is dropped from its inner radius outwards
                rr = r[sel]
                assert rr[d].max() <= rr[~d].min() + 1e-12
        assert partial <= 1


def test_mask_shared_by_channels():
    x = _rand(2, 3, 32, 32)
    out = FrequencyHierarchicalMasking()(x)
    spec = image_dct(out.masked)
    zero = out.drop_mask[:, None].expand_as(spec)
    assert spec[zero].abs().max() < 1e-9
    kept = spec[~zero & (image_dct(x).abs() > 1e-6)]
    assert (kept.abs() > 0).all()


def test_deterministic_under_seed_and_batched():
    x = _rand(5, 3, 32, 48)
    a = FrequencyHierarchicalMasking(seed=123)(x)
    b = FrequencyHierarchicalMasking(seed=123)(x)
    c = FrequencyHierarchicalMasking(seed=124)(x)
    assert torch.equal(a.drop_mask, b.drop_mask)
    assert torch.equal(a.masked, b.masked)
    assert not torch.equal(a.drop_mask, c.drop_mask)
    g1 = torch.Generator().manual_seed(7)
    g2 = torch.Generator().manual_seed(7)
    m = FrequencyHierarchicalMasking()
    assert torch.equal(m(x, g1).drop_mask, m(x, g2).drop_mask)
    # images of a batch get independent draws
    assert a.rho.unique().numel() == 5
    assert not all(torch.equal(a.drop_mask[0], a.drop_mask[i])
                   for i in range(1, 5))


def test_float32_matches_float64_reference():
    x = _rand(2, 3, 32, 32)
    g = torch.Generator().manual_seed(3)
    out32 = FrequencyHierarchicalMasking()(x.float(), torch.Generator()
                                           .manual_seed(3))
    out64 = FrequencyHierarchicalMasking()(x, g)
    assert out32.masked.dtype == torch.float32
    rel = (out32.masked.double() - out64.masked).abs().max() / \
        out64.masked.abs().max()
    assert rel < 1e-5


@pytest.mark.parametrize('kwargs', [
    dict(ratio=1.5), dict(ratio=(0.3, 0.2)), dict(low_radius=0.),
    dict(num_rings=0), dict(ratio='high')
])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        FrequencyHierarchicalMasking(**kwargs)


def test_bad_input_raises():
    with pytest.raises(ValueError, match=r'\[B, C, H, W\]'):
        FrequencyHierarchicalMasking()(torch.randn(3, 32, 32))
