"""The whole-scene benchmark end to end on two small scenes (fresh child
processes, repeats summarised as medians)."""
import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_scene_benchmark_small_run(tmp_path, repo_root):
    out = tmp_path / 'bench.json'
    script = repo_root / 'tools/analysis_tools/scene_inference_benchmark.py'
    cmd = [sys.executable, str(script),
           '--sizes', '256', '448', '--patch', '128', '--gap', '32',
           '--repeat', '2', '--threads', '1', '--work-dir',
           str(tmp_path / 'work'), '--out', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert [r['size'] for r in rows] == [256, 448]
    # windows of 128 px, overlap >= 32: 3 x 3 and 5 x 5 (even layout)
    assert [r['windows'] for r in rows] == [9, 25]
    for r in rows:
        assert len(r['runs']) == 2
        secs = sorted(x['seconds'] for x in r['runs'])
        assert r['seconds'] == pytest.approx(sum(secs) / 2)  # median of 2
        assert r['s_per_mp'] == pytest.approx(
            r['seconds'] / (r['size'] ** 2 / 1e6))
        lo, hi = r['peak_rss_range']
        assert lo <= r['peak_rss_mib'] <= hi
        assert r['peak_rss_mib'] >= r['rss_before_mib'] > 100
    assert '| 448² | 25 | 2 |' in proc.stdout
    assert not list(tmp_path.glob('*.part'))
    for size in (256, 448):  # the outputs of a run are complete files
        done = tmp_path / 'work' / f'out_{size}' / f'scene_{size}_seg.tif'
        assert done.is_file()
