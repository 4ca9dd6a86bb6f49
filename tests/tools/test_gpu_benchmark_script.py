"""The device scripts: the GPU benchmark's dry run on the CPU."""
import json
import os
import subprocess
import sys

import pytest

TINY_RS = 'rs=rsvheat:{"embed_dims":8,"depths":[1,1,1,1]}'
TINY_VIT = ('vt=vit:{"embed_dims":16,"num_layers":1,"num_heads":1,'
            '"feedforward_channels":32}')


@pytest.mark.slow
def test_gpu_benchmark_script_dry_run_on_cpu(tmp_path, repo_root):
    out = tmp_path / 'out'
    env = dict(os.environ, DEVICE='cpu', PYTHON=sys.executable,
               FWD_MODELS=f'{TINY_RS} {TINY_VIT}',
               TRAIN_MODELS=TINY_RS, BF16_MODELS=TINY_RS, SIZES='32',
               TRAIN_SIZES='32', BATCH='1', REPEAT='1', WARMUP='0',
               TIME_CAP='30', HCO_SHAPES='8x8x4')
    proc = subprocess.run(
        ['bash', str(repo_root / 'tools/analysis_tools/gpu_benchmark.sh'),
         str(out)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    files = sorted(str(p.relative_to(out)) for p in out.rglob('*')
                   if p.is_file())
    # one device call brings back at most 8 files
    assert files == ['bf16/benchmark.json', 'bf16/benchmark.md',
                     'fwd/benchmark.json', 'fwd/benchmark.md',
                     'fwd/benchmark.png', 'log.txt', 'train/benchmark.json',
                     'train/benchmark.md']
    for name, mode, models in (('fwd', 'fwd', {'rs', 'vt'}),
                               ('train', 'fwd+bwd', {'rs'}),
                               ('bf16', 'fwd', {'rs'})):
        data = json.loads((out / name / 'benchmark.json').read_text())
        assert {r['model'] for r in data['results']} == models
        assert all(r['status'] == 'ok' and r['mode'] == mode
                   for r in data['results'])
    assert json.loads((out / 'bf16/benchmark.json').read_text())[
        'args']['amp'] == 'bf16'
    assert [h['h'] for h in json.loads(
        (out / 'fwd/benchmark.json').read_text())['hco']] == [8]
    assert '== train' in (out / 'log.txt').read_text()
