"""HCO paths (matrix, FFT, auto, autocast) against a float64 scipy reference."""
import os

import numpy as np
import pytest
import scipy.fft
import torch

from rsvheat_mm.models.utils import fast_dct
from rsvheat_mm.models.utils.fast_dct import (choose_method, dct_fft,
                                              idct_fft, set_fft_threshold)
from rsvheat_mm.models.utils.heat_math import (dct2d, dct_matrix, decay_map,
                                               heat_transform, idct2d)

SHAPES = [(1, 1), (1, 6), (2, 3), (7, 5), (16, 16), (9, 12), (33, 17),
          (31, 31), (64, 40)]
PATHS = ['matrix', 'fft', 'auto']


def _ref_heat(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    spec = scipy.fft.dctn(u, type=2, norm='ortho', axes=(1, 2))
    return scipy.fft.idctn(spec * d[None], type=2, norm='ortho', axes=(1, 2))


def _rel(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.fixture
def rng():
    # fresh inputs every run (seed printed on failure)
    seed = int.from_bytes(os.urandom(4), 'little')
    print(f'seed {seed}')
    return np.random.default_rng(seed)


@pytest.mark.parametrize('method', PATHS)
@pytest.mark.parametrize('h,w', SHAPES)
def test_heat_transform_paths_match_float64(method, h, w, rng):
    u = rng.standard_normal((2, h, w, 3))
    d = rng.uniform(0.05, 1.0, (h, w, 3))
    ref = _ref_heat(u, d)
    got = heat_transform(torch.from_numpy(u).float(),
                         torch.from_numpy(d).float(), method)
    assert got.dtype == torch.float32 and got.shape == u.shape
    assert _rel(got.numpy(), ref) < 1e-5
    got64 = heat_transform(torch.from_numpy(u), torch.from_numpy(d), method)
    assert _rel(got64.numpy(), ref) < 1e-12


@pytest.mark.parametrize('method', PATHS)
@pytest.mark.parametrize('h,w', [(5, 8), (17, 17), (12, 31)])
def test_dct2d_idct2d_match_scipy(method, h, w, rng):
    x = rng.standard_normal((2, h, w, 4))
    ref = scipy.fft.dctn(x, type=2, norm='ortho', axes=(1, 2))
    X = dct2d(torch.from_numpy(x).float(), method)
    assert _rel(X.numpy(), ref) < 1e-5
    back = idct2d(torch.from_numpy(ref).float(), method)
    assert _rel(back.numpy(), x) < 1e-5


@pytest.mark.parametrize('n', [1, 2, 3, 4, 5, 8, 13, 64, 127])
@pytest.mark.parametrize('dim', [0, 1, -1])
def test_1d_fft_dct_any_dim(n, dim, rng):
    shape = [3, 4, 5]
    shape[dim] = n
    x = rng.standard_normal(shape)
    ref = scipy.fft.dct(x, type=2, norm='ortho', axis=dim)
    got = dct_fft(torch.from_numpy(x), dim)
    np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=1e-12)
    inv = idct_fft(torch.from_numpy(ref), dim)
    np.testing.assert_allclose(inv.numpy(), x, rtol=0, atol=1e-12)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
@pytest.mark.parametrize('method', ['matrix', 'fft'])
def test_half_and_autocast_stay_accurate(dtype, method, rng):
    """Half inputs and autocast regions compute the DCT in float32.

    The only error left is rounding the input and the output to ``dtype``
    (relative 2^-8 for bf16, 2^-11 for fp16), far below what a half-precision
    matrix DCT (error growing with sqrt(H + W) * eps) would give.
    """
    h, w = 24, 19
    u = rng.standard_normal((2, h, w, 8))
    d = rng.uniform(0.05, 1.0, (h, w, 8))
    u_half = torch.from_numpy(u).to(dtype)
    ref = _ref_heat(u_half.double().numpy(), d)
    eps = torch.finfo(dtype).eps
    got = heat_transform(u_half, torch.from_numpy(d).float(), method)
    assert got.dtype == dtype
    assert _rel(got.double().numpy(), ref) < eps
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got_ac = heat_transform(torch.from_numpy(u).float(),
                                torch.from_numpy(d).float(), method)
    assert got_ac.dtype == torch.float32
    assert _rel(got_ac.numpy(), _ref_heat(u, d)) < 1e-5


def test_gradients_match_between_paths(rng):
    u = torch.from_numpy(rng.standard_normal((1, 9, 14, 3)))
    d = torch.from_numpy(rng.uniform(0.1, 1.0, (9, 14, 3)))
    grads = []
    for method in ('matrix', 'fft'):
        uu, dd = u.clone().requires_grad_(), d.clone().requires_grad_()
        (heat_transform(uu, dd, method) * torch.arange(3.)).sum().backward()
        grads.append((uu.grad, dd.grad))
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=0, atol=1e-12)
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=0, atol=1e-12)


def test_auto_choice_is_deterministic_and_documented(monkeypatch):
    monkeypatch.delenv('RSVHEAT_DCT_METHOD', raising=False)
    cpu = torch.device('cpu')
    limit = fast_dct.FFT_MIN_SIDE_SUM['cpu']
    picks = {(h, w): choose_method(h, w, cpu)
             for h in (7, 64, 700, 1024) for w in (9, 64, 836, 2048)}
    for _ in range(3):  # same size + device -> same path, every time
        assert picks == {(h, w): choose_method(h, w, cpu)
                         for h, w in picks}
    for (h, w), m in picks.items():  # the documented rule
        assert m == ('fft' if h + w >= limit else 'matrix')
    assert choose_method(limit // 2, limit - limit // 2, cpu) == 'fft'
    assert choose_method(limit // 2, limit - limit // 2 - 1, cpu) == 'matrix'
    assert choose_method(8, 8, 'cuda') == (
        'fft' if 16 >= fast_dct.FFT_MIN_SIDE_SUM['cuda'] else 'matrix')
    assert choose_method(4096, 4096, cpu, 'matrix') == 'matrix'
    assert choose_method(2, 2, cpu, 'fft') == 'fft'
    monkeypatch.setenv('RSVHEAT_DCT_METHOD', 'fft')
    assert choose_method(2, 2, cpu) == 'fft'
    monkeypatch.setenv('RSVHEAT_DCT_METHOD', 'fast')
    with pytest.raises(ValueError, match='RSVHEAT_DCT_METHOD'):
        choose_method(2, 2, cpu)


def test_set_threshold_and_bad_method(monkeypatch):
    monkeypatch.delenv('RSVHEAT_DCT_METHOD', raising=False)
    monkeypatch.setitem(fast_dct.FFT_MIN_SIDE_SUM, 'cpu', 1536)
    set_fft_threshold('cpu', 0)
    assert choose_method(1, 1, 'cpu') == 'fft'
    with pytest.raises(ValueError, match='>= 0'):
        set_fft_threshold('cpu', -1)
    with pytest.raises(ValueError, match='fast_dct.py'):
        heat_transform(torch.zeros(1, 4, 4, 2), torch.ones(4, 4, 2), 'fast')
    with pytest.raises(ValueError, match='does not match'):
        heat_transform(torch.zeros(1, 4, 4, 2), torch.ones(4, 5, 2))


@pytest.mark.parametrize('method', ['matrix', 'fft'])
@pytest.mark.parametrize('h,w', [(7, 5), (16, 16), (9, 12), (1, 6)])
def test_gradients_match_float64_reference(method, h, w, rng):
    """The hand-written backward (A is symmetric): dL/du = A g and
    dL/dd = sum_b DCT(g) DCT(u), against scipy in float64, fp32 inputs."""
    u = rng.standard_normal((2, h, w, 3))
    d = rng.uniform(0.05, 1.0, (h, w, 3))
    g = rng.uniform(0.5, 1.5, (2, h, w, 3)) * rng.choice([-1, 1], (2, h, w,
                                                                 3))
    uu = torch.tensor(u, dtype=torch.float32, requires_grad=True)
    dd = torch.tensor(d, dtype=torch.float32, requires_grad=True)
    (heat_transform(uu, dd, method) * torch.from_numpy(g).float()).sum(
    ).backward()
    ref_u = _ref_heat(g, d)
    spec = lambda x: scipy.fft.dctn(x, type=2, norm='ortho', axes=(1, 2))
    ref_d = (spec(g) * spec(u)).sum(0)
    assert _rel(uu.grad.numpy(), ref_u) < 1e-5
    assert _rel(dd.grad.numpy(), ref_d) < 1e-5
    # and float64 gradcheck of the custom function itself
    u64 = torch.from_numpy(u[:1, :, :, :2]).requires_grad_()
    d64 = torch.from_numpy(d[:, :, :2]).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda a, b: heat_transform(a, b, method), (u64, d64))


@pytest.mark.parametrize('method', ['matrix', 'fft'])
def test_backward_keeps_one_spectrum_not_every_step(method, rng):
    """The custom backward keeps DCT(u) and the decay only, on both paths
    (autograd through the FFT steps keeps about seven maps)."""
    u = torch.from_numpy(rng.standard_normal((2, 12, 10, 4))).float()
    d = torch.from_numpy(rng.uniform(0.1, 1., (12, 10, 4))).float()
    saved = []

    def pack(t):
        saved.append(t.numel())
        return t

    u.requires_grad_()
    d.requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        heat_transform(u, d, method)
    assert sorted(saved) == sorted([u.numel(), d.numel()])
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        heat_transform(u, d.detach(), method)  # no decay grad: no spectrum
    assert saved == [d.numel()]


@pytest.mark.parametrize('hw', [(8, 8), (7, 13), (16, 5), (1, 9)])
def test_hco_matches_float64_scipy_reference(hw):
    h, w = hw
    g = torch.Generator().manual_seed(h * 100 + w)
    u = torch.rand(2, h, w, 6, generator=g) + 0.5  # no zeros
    k = torch.rand(h, w, 6, generator=g) * 3
    decay = decay_map(k)
    out = heat_transform(u, decay)
    assert out.dtype == torch.float32
    # float64 reference written independently with scipy
    wn = np.pi * np.arange(h) / h
    wm = np.pi * np.arange(w) / w
    e = np.exp(-k.double().numpy() * (wn[:, None, None]**2 +
                                       wm[None, :, None]**2))
    spec = scipy.fft.dctn(u.double().numpy(), axes=(1, 2), norm='ortho')
    ref = scipy.fft.idctn(spec * e, axes=(1, 2), norm='ortho')
    assert rel_err(out.numpy(), ref) < 1e-5


@pytest.mark.parametrize('n', [1, 2, 7, 56])
def test_dct_basis_is_orthonormal_and_equals_scipy(n):
    d = dct_matrix(n)
    assert torch.allclose(d @ d.T, torch.eye(n, dtype=d.dtype), atol=1e-12)
    ref = scipy.fft.dct(np.eye(n), type=2, norm='ortho', axis=0)
    assert rel_err(d.numpy(), ref) < 1e-12


def test_zero_k_is_identity_and_large_k_keeps_only_the_mean():
    u = torch.rand(3, 9, 11, 4, dtype=torch.float64) + 0.1
    k0 = torch.zeros(9, 11, 4, dtype=torch.float64)
    assert rel_err(heat_transform(u, decay_map(k0)), u) < 1e-12
    big = decay_map(torch.full((9, 11, 4), 1e4, dtype=torch.float64))
    assert big[0, 0].eq(1).all() and big[1:].max() < 1e-30
    out = heat_transform(u, big)
    mean = u.mean(dim=(1, 2), keepdim=True).expand_as(u)
    assert rel_err(out, mean) < 1e-10


def test_decay_only_attenuates():
    k = torch.rand(6, 5, 3) * 5
    d = decay_map(k)
    assert (d > 0).all() and (d <= 1).all() and d[0, 0].eq(1).all()
