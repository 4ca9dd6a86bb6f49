"""The fused activation + Linear functions and the row-banded FFN."""
import numpy as np
import torch
import torch.nn.functional as F

from rsvheat_mm.models.backbones import RSvHeat
from rsvheat_mm.models.layers import FFN, GatedLinear, GeluLinear

TINY = dict(embed_dims=8, depths=[1, 2, 1, 1])


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max() / np.abs(b).max()


def test_fused_backward_functions_match_plain_autograd(monkeypatch):
    """GELU+fc2 and the SiLU gate+output Linear have hand-written backward
    passes; float64 outputs and every gradient equal plain autograd's."""
    torch.manual_seed(0)
    arch = dict(TINY, post_norm=True, layer_scale=0.5)
    m = RSvHeat(arch=arch, img_size=64, drop_path_rate=0.).double()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.rand_like(p) * 0.1 + 0.01)
    x = torch.rand(2, 3, 40, 56, dtype=torch.float64) + 0.1
    weights = None

    def run():
        nonlocal weights
        m.zero_grad()
        out = m(x)
        if weights is None:
            weights = [torch.rand_like(o) + 0.5 for o in out]
        sum((o * w).sum() for o, w in zip(out, weights)).backward()
        return out, {n: p.grad.clone() for n, p in m.named_parameters()}

    out, grads = run()
    monkeypatch.setattr(GeluLinear, 'apply', staticmethod(
        lambda h, w, b: F.linear(F.gelu(h), w, b)))
    monkeypatch.setattr(GatedLinear, 'apply', staticmethod(
        lambda u, z, w, b: F.linear(u * F.silu(z), w, b)))
    ref, ref_grads = run()
    for a, b in zip(out, ref):
        assert rel_err(a.detach(), b.detach()) < 1e-12
    for n, g in ref_grads.items():
        assert rel_err(grads[n], g) < 1e-10, n


def test_ffn_row_bands_equal_one_pass(monkeypatch):
    """Without autograd a large map runs in ceil(ratio) bands of rows; the
    result is the one-pass result, in the input's memory format."""
    torch.manual_seed(0)
    ffn = FFN(6, ratio=2.5).double()
    x = torch.rand(2, 6, 11, 7, dtype=torch.float64).contiguous(
        memory_format=torch.channels_last)
    with torch.no_grad():
        ref = ffn(x)
        monkeypatch.setattr(FFN, 'CHUNK_BYTES', 0)
        out = ffn(x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert rel_err(out, ref) < 1e-12
    plain = ffn.fc2(F.gelu(ffn.fc1(x)))
    assert rel_err(out, plain.detach()) < 1e-12
