"""The torch.compile benchmark end to end at 64 px (aot_eager: no C++
build), and its failure when compiled and eager disagree."""
import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_compile_benchmark_tiny_run(tmp_path, repo_root):
    out = tmp_path / 'cb'
    cmd = [sys.executable,
           str(repo_root / 'tools/analysis_tools/compile_benchmark.py'),
           '--archs', 'tiny', '--sizes', '64', '--train', '--backend',
           'aot_eager', '--warmup', '0', '--repeat', '1', '--threads', '1',
           '--out-dir', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / 'compile_benchmark.json').read_text())
    rows = {r['what']: r for r in data['rows']}
    assert set(rows) == {'inference', 'train step'}
    for r in rows.values():
        assert r['eager_s'] > 0 and r['compiled_s'] > 0
        # the same float32 program: compiled equals eager, both near fp64
        assert r['rel_err'] < 1e-5, r
        assert r['eager_vs_fp64'] < 1e-4 and r['compiled_vs_fp64'] < 1e-4
    md = (out / 'compile_benchmark.md').read_text()
    assert md.count('| tiny | 64² |') == 2
    assert not list(out.glob('.*.tmp'))


def test_failure_rule(repo_root):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'compile_benchmark',
        repo_root / 'tools/analysis_tools/compile_benchmark.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def row(rel, eager, comp):
        return dict(rel_err=rel, eager_vs_fp64=eager, compiled_vs_fp64=comp)
    ok = row(1e-6, 1e-6, 1e-6)
    eager_worse = row(2e-2, 5e-4, 3e-4)     # the 512 px training row
    compiled_wrong = row(2e-2, 1e-6, 2e-2)  # compiled far from the truth
    assert mod.failing([ok, eager_worse], 1e-5) == []
    assert mod.failing([ok, compiled_wrong], 1e-5) == [compiled_wrong]
    # beyond a tighter bound and 10x further from float64 than eager
    tight = row(1e-6, 1e-7, 1e-6)
    assert mod.failing([tight], 1e-7) == [tight]
