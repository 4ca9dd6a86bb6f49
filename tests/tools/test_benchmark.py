"""The benchmark tool end to end at a tiny size, and its report logic."""
import json
import subprocess
import sys

import numpy as np
import pytest

from rsvheat_mm.analysis.report import compare, fit_all, fit_exponent

TINY = [
    'rs=rsvheat:{"embed_dims": 8, "depths": [1, 1, 1, 1]}',
    'rl=rsvheat-lean:{"embed_dims": 8, "depths": [1, 1, 1, 1]}',
    'vt=vit:{"embed_dims": 16, "num_layers": 1, "num_heads": 1, '
    '"feedforward_channels": 32}',
]


def test_fit_exponent_recovers_power_law():
    pts = [(p, 3.0 * p**1.2) for p in (1e3, 4e3, 1.6e4, 6.4e4)]
    assert fit_exponent(pts) == pytest.approx(1.2, abs=1e-9)
    assert fit_exponent(pts[:1]) is None


def test_compare_checks_targets():
    rows = [dict(model='rsvheat-b', size=1024, mode='fwd', batch=1,
                 status='ok', img_per_s=3.0, sec_per_iter=1 / 3.,
                 net_mem_mb=100.),
            dict(model='vit-b', size=1024, mode='fwd', batch=1, status='ok',
                 img_per_s=1.0, sec_per_iter=1., net_mem_mb=1000.),
            dict(model='swin-b', size=1024, mode='fwd', batch=1,
                 status='oom', message='x')]
    macs = {('rsvheat-b', 1024): 1.0, ('vit-b', 1024): 2.0}
    out = {c['other']: c for c in compare(rows, 'rsvheat-b', macs)}
    assert out['vit-b']['throughput'] == pytest.approx(3.0)
    assert out['vit-b']['memory'] == pytest.approx(0.1)
    assert out['vit-b']['target']['met'] == dict(throughput=True,
                                                  memory=True)
    assert out['swin-b']['throughput'] is None
    assert out['swin-b']['note'].startswith('baseline oom')
    fits = fit_all(rows)  # one size per series: no exponent, no crash
    assert [(f['model'], f['time_exponent']) for f in fits] == [
        ('rsvheat-b', None), ('vit-b', None)]


def test_several_references_each_pair_once():
    rows = [dict(model=m, size=512, mode='fwd', batch=2, status='ok',
                 img_per_s=v, sec_per_iter=2 / v, net_mem_mb=10. * v)
            for m, v in (('a', 4.), ('b', 2.), ('c', 1.))]
    pairs = [(c['ref'], c['other'], c['throughput'])
             for c in compare(rows, ['a', 'b'], {})]
    assert pairs == [('a', 'b', 2.), ('a', 'c', 4.), ('b', 'c', 2.)]


def test_model_names_lean_and_dct_suffixes():
    from rsvheat_mm.analysis.models import build_model, parse_model
    spec = parse_model('rsvheat-b-lean@fft')
    assert (spec['arch'], spec['dct'], spec['lean']) == ('base', 'fft', True)
    assert not parse_model('rsvheat-t')['lean']
    tiny = parse_model(
        'x=rsvheat-lean:{"embed_dims": 8, "depths": [1, 1, 1, 1]}')
    assert tiny['family'] == 'rsvheat' and tiny['lean']
    assert build_model(tiny, 64).cache_decays is False
    for bad in ('swin-b-lean', 'rsvheat-q-lean'):
        with pytest.raises(ValueError, match='unknown model'):
            parse_model(bad)


def test_macs_count_dct_matmuls_and_ffts():
    """Both HCO paths are counted: matmul 2HWC(H+W), FFT ~2.5 n log2 n."""
    import torch

    from rsvheat_mm.analysis.flops import count_macs, fake_mode
    from rsvheat_mm.models.utils.heat_math import heat_transform

    class Heat(torch.nn.Module):

        def __init__(self, method):
            super().__init__()
            self.method = method
            self.decay = torch.nn.Parameter(torch.ones(64, 32, 8))

        def forward(self, x):
            return heat_transform(x, self.decay, self.method)

    b, h, w, c = 2, 64, 32, 8
    with fake_mode():
        mat = count_macs(Heat('matrix'), (b, h, w, c))
        fft = count_macs(Heat('fft'), (b, h, w, c))
    assert mat['macs'] == 2 * b * h * w * c * (h + w)
    assert set(fft['by_op']) == {'aten._fft_r2c', 'aten._fft_c2r'}
    # one r2c + one c2r per axis; 2.5 n log2 n flops each = 1.25 MACs
    expect = 2 * 1.25 * b * h * w * c * (np.log2(h) + np.log2(w))
    assert fft['macs'] == pytest.approx(expect, rel=1e-6)
    # no fake DCT matrix / FFT table survives the mode in the caches
    x, d = torch.randn(1, h, w, c), torch.rand(h, w, c)
    for method in ('matrix', 'fft'):
        y = heat_transform(x, d, method)
        assert not isinstance(y, torch._subclasses.FakeTensor)
        torch.testing.assert_close(
            y.double(), heat_transform(x.double(), d.double(), 'matrix'),
            rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_benchmark_tool_tiny_run(tmp_path, repo_root):
    out = tmp_path / 'bench'
    cmd = [sys.executable, str(repo_root / 'tools/analysis_tools/benchmark.py'),
           '--models', *TINY, '--ref', 'rs', 'rl', '--sizes', '32', '64',
           '--modes', 'fwd', '--repeat', '1', '--warmup', '0',
           '--time-cap', '30', '--threads', '1', '--hco-sweep',
           '--hco-shapes', '8x8x4', '17x9x2', '--out-dir', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / 'benchmark.json').read_text())
    res = {(r['model'], r['size']): r for r in data['results']}
    assert set(res) == {(m, s) for m in ('rs', 'rl', 'vt')
                        for s in (32, 64)}
    for r in res.values():
        assert r['status'] == 'ok', r
        assert r['img_per_s'] > 0 and r['peak_mem_mb'] > 0
        assert r['peak_mem_mb'] >= r['base_mem_mb']
    macs = {(m['model'], m['size']): m['macs'] for m in data['macs']}
    assert macs[('rs', 64)] > macs[('rs', 32)] > 0
    assert macs[('vt', 64)] > macs[('vt', 32)] > 0
    # lean mode makes the decays in every forward: to_k(FVE) is counted
    assert macs[('rl', 64)] > macs[('rs', 64)]
    assert {f['model'] for f in data['fits']} == {'rs', 'rl', 'vt'}
    assert all(f['time_exponent'] is not None for f in data['fits'])
    assert {(c['ref'], c['other'], c['size'])
            for c in data['comparisons']} == {
        (r, o, s) for r, o in (('rs', 'rl'), ('rs', 'vt'), ('rl', 'vt'))
        for s in (32, 64)}
    assert [h['h'] for h in data['hco']] == [8, 17]
    assert all(h['rel_err_fft'] < 1e-5 for h in data['hco'])
    md = (out / 'benchmark.md').read_text()
    for m in ('rs', 'rl', 'vt'):  # one results row per model and size
        for size in (32, 64):
            assert md.count(f'\n| {m} | {size} | 1 | fwd | ok |') == 1
    assert '**Side by side**' in md and '**HCO paths**' in md
    png = (out / 'benchmark.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 5000


def test_bad_model_name_is_a_clear_error(repo_root):
    proc = subprocess.run(
        [sys.executable, str(repo_root / 'tools/analysis_tools/benchmark.py'),
         '--models', 'resnet50', '--out-dir', '/tmp/none'],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert 'unknown model' in proc.stderr and 'NAME=FAMILY:JSON' in \
        proc.stderr
