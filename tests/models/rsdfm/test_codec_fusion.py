"""Exchange (codec: budget, exactness, byte format) and fusion properties."""
import math

import numpy as np
import pytest
import torch

from rsvheat_mm.models.rsdfm.codec import FreqDecoupledCodec
from rsvheat_mm.models.rsdfm.fusion import ConfidenceFusion, warp_bev
from rsvheat_mm.structures.bev_geometry import BEVGrid


def _maps(seed, m=3, c=6, h=16, w=20, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(m, c, h, w, generator=g, dtype=dtype)


@pytest.mark.parametrize('low_bits', [8, 16, 32])
def test_full_budget_is_lossless(low_bits):
    x = _maps(1)
    codec = FreqDecoupledCodec(budget=10**9, low_size=4, low_bits=low_bits,
                               high_bits=32)
    y, plan = codec(x)
    assert plan.k == 16 * 20
    assert plan.total <= plan.budget
    # exact to float64 rounding: the residual is taken against the
    # quantised low band the receiver decodes
    torch.testing.assert_close(y, x, rtol=0, atol=1e-12)
    # fp16 high branch: lossless to fp16 rounding
    y16, _ = FreqDecoupledCodec(budget=10**9, low_size=4, low_bits=low_bits,
                                high_bits=16)(x)
    assert (y16 - x).abs().max() < 2e-3 * x.abs().max()
    # no budget: raw maps
    assert torch.equal(FreqDecoupledCodec(budget=None)(x)[0], x)


@pytest.mark.parametrize('budget', [0.02, 0.05, 0.1, 0.3, 700, 1234, 4321])
@pytest.mark.parametrize('bits', [(8, 8), (8, 16), (16, 32)])
def test_bytes_match_formula_and_budget(budget, bits):
    c, h, w = 6, 16, 20
    codec = FreqDecoupledCodec(budget=budget, low_size=(4, 5),
                               low_bits=bits[0], high_bits=bits[1])
    raw = 4 * c * h * w
    limit = math.floor(budget * raw) if isinstance(budget, float) else budget
    low = 4 * 5 * c * bits[0] // 8 + (4 * c if bits[0] == 8 else 0)
    if limit < low:
        with pytest.raises(ValueError, match='low-frequency part'):
            codec.plan(c, h, w)
        return
    plan = codec.plan(c, h, w)
    n = h * w
    k = plan.k
    high = 0 if k == 0 else (k * c * bits[1] // 8 +
                             (4 * c if bits[1] == 8 else 0) +
                             min(2 * k, math.ceil(n / 8)))
    assert plan.bytes_low == low and plan.bytes_high == high
    assert plan.total <= limit
    # k is maximal: one more cell would exceed the budget
    if k < n:
        more = (k + 1) * c * bits[1] // 8 + (4 * c if bits[1] == 8 else 0) \
            + min(2 * (k + 1), math.ceil(n / 8))
        assert low + more > limit
    # the serialised message has exactly plan.total bytes and decodes to
    # the in-graph reconstruction
    x = _maps(2, c=c, h=h, w=w)
    packet = codec.encode(x)
    recon = codec.decode(packet)
    for i in range(x.shape[0]):
        data = codec.to_bytes(packet, i)
        assert len(data) == plan.total
        back = codec.from_bytes(data, c, h, w)
        torch.testing.assert_close(back, recon[i], rtol=1e-6, atol=1e-6)


def test_reconstruction_error_shrinks_with_budget():
    x = _maps(3, c=8, h=32, w=32)
    errs = []
    for ratio in (0.05, 0.1, 0.25, 0.5):
        y, _ = FreqDecoupledCodec(budget=ratio, low_bits=8,
                                  high_bits=16)(x)
        errs.append(((y - x).norm() / x.norm()).item())
    assert all(a > b for a, b in zip(errs, errs[1:])), errs
    # deterministic
    y1, _ = FreqDecoupledCodec(budget=0.1)(x)
    y2, _ = FreqDecoupledCodec(budget=0.1)(x)
    assert torch.equal(y1, y2)


def test_low_branch_is_the_dct_band():
    """Against scipy's DCT (float64 reference): with k = 0 the receiver gets
    exactly the lowest DCT band of every channel."""
    from scipy.fft import dctn, idctn
    x = _maps(4, m=2, c=3, h=12, w=10)
    codec = FreqDecoupledCodec(budget=3 * 4 * 5 * 4, low_size=(4, 5),
                               low_bits=32, high_bits=32)
    y, plan = codec(x)
    assert plan.k == 0
    coef = dctn(x.numpy(), type=2, norm='ortho', axes=(2, 3))
    band = np.zeros_like(coef)
    band[..., :4, :5] = coef[..., :4, :5]
    ref = idctn(band, type=2, norm='ortho', axes=(2, 3))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_budget_errors():
    with pytest.raises(ValueError, match='Raise codec.budget'):
        FreqDecoupledCodec(budget=100, low_size=8).plan(16, 32, 32)
    with pytest.raises(ValueError, match='fraction'):
        FreqDecoupledCodec(budget=1.5)
    with pytest.raises(ValueError, match='low_bits'):
        FreqDecoupledCodec(low_bits=4)


def test_codec_gradient_flows():
    x = _maps(5, dtype=torch.float32).requires_grad_()
    y, _ = FreqDecoupledCodec(budget=0.2)(x)
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def _fusion_inputs(seed, b=2, n=4, c=5, h=8, w=9):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(b, n, c, h, w, generator=g, dtype=torch.float64)
    valid = torch.rand(b, n, 1, h, w, generator=g) > 0.3
    return feats, valid


def test_fusion_is_order_invariant():
    torch.manual_seed(0)
    fusion = ConfidenceFusion(5, hidden=7).double()
    feats, valid = _fusion_inputs(0)
    out, w = fusion(feats, valid)
    for perm in ([3, 1, 0, 2], [2, 3, 1, 0]):
        out_p, w_p = fusion(feats[:, perm], valid[:, perm])
        torch.testing.assert_close(out_p, out, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(w_p, w[:, perm], rtol=1e-12, atol=1e-12)
    # weights are a partition of unity where any platform sees the cell
    s = w.sum(1)
    seen = valid.any(1)
    torch.testing.assert_close(s[seen], torch.ones_like(s[seen]))
    assert (out.abs().sum(1, keepdim=True)[~seen] == 0).all()


@pytest.mark.parametrize('mode', ['softmax', 'mean', 'max'])
def test_fusion_missing_platform_equals_removed(mode):
    torch.manual_seed(0)
    fusion = ConfidenceFusion(5, mode=mode).double()
    feats, valid = _fusion_inputs(1)
    mask = torch.ones(2, 4, dtype=torch.bool)
    mask[0, 2] = False  # platform 2 dropped out in sample 0
    mask[1, 1] = False
    out, _ = fusion(feats * 7 + 3, valid, mask)  # garbage in dropped slots
    ref0, _ = fusion(feats[:1, [0, 1, 3]], valid[:1, [0, 1, 3]])
    ref1, _ = fusion(feats[1:, [0, 2, 3]], valid[1:, [0, 2, 3]])
    out_clean, _ = fusion(feats, valid, mask)
    torch.testing.assert_close(out_clean[:1], ref0, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out_clean[1:], ref1, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(out, out_clean)  # the check is not vacuous
    # single platform: exactly the ego map on the cells it sees
    ego, _ = fusion(feats[:, :1], valid[:, :1])
    torch.testing.assert_close(ego, feats[:, 0] * valid[:, 0], rtol=0,
                               atol=0)


def test_fusion_shape_errors():
    fusion = ConfidenceFusion(5)
    feats, valid = _fusion_inputs(2, b=2, n=3)
    with pytest.raises(ValueError, match='agree on B and N'):
        fusion(feats.float(), valid[:, :2])
    with pytest.raises(ValueError, match='agent_mask'):
        fusion(feats.float(), valid, torch.ones(2, 4, dtype=torch.bool))


def test_warp_bev_rotation_and_translation():
    grid = BEVGrid((-8.0, 8.0), (-8.0, 8.0), 1.0)
    x = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
    x[0, 0, 8, 12] = 1.0  # source point (x, y) = (4.5, 0.5)
    # pure translation by whole cells == roll
    y = warp_bev(x, torch.tensor([[2.0, -3.0, 0.0]], dtype=x.dtype), grid)
    assert y[0, 0, 5, 14] == pytest.approx(1.0) and y.sum() == \
        pytest.approx(1.0)
    # 90 degree rotation about the grid centre: (4.5, 0.5) -> (-0.5, 4.5)
    y = warp_bev(x, torch.tensor([[0.0, 0.0, math.pi / 2]],
                                 dtype=x.dtype), grid)
    assert y[0, 0, 12, 7] == pytest.approx(1.0, abs=1e-9)
    torch.testing.assert_close(y, torch.rot90(x, 1, dims=(3, 2)),
                               rtol=0, atol=1e-9)
    # identity
    torch.testing.assert_close(
        warp_bev(x, torch.zeros(1, 3, dtype=x.dtype), grid), x)
