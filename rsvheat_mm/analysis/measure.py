"""One measurement (model, size, batch, mode) and the process around it.

On the CPU every measurement runs in a **fresh Python process** so its peak
resident memory (``ru_maxrss``) belongs to that measurement alone; the
parent enforces a wall-clock cap. On CUDA the allocator's peak
(``torch.cuda.max_memory_allocated`` after a reset) is used, with
``torch.cuda.synchronize()`` around every timed region; CUDA measurements
also run in a fresh process so a fragmented or out-of-memory allocator
never leaks into the next one.

Out-of-memory and the time cap are *results*: ``status`` is ``'ok'``,
``'oom'``, ``'timeout'`` or ``'error'`` (with the message), never a crash
of the sweep.
"""
import json
import os
import resource
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch

from .models import ModelSpec, build_model, preload

__all__ = ['measure', 'run_isolated']

_MB = 1024.0 * 1024.0
_OOM_MARKERS = ('out of memory', 'CUDA out of memory', 'DefaultCPUAllocator',
                "can't allocate memory", 'Cannot allocate memory')


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _amp_dtype(amp: str) -> Optional[torch.dtype]:
    return {'none': None, 'bf16': torch.bfloat16,
            'fp16': torch.float16}[amp]


def measure(spec: ModelSpec, size: int, batch: int, mode: str,
            device: str = 'cpu', repeat: int = 3, warmup: int = 1,
            time_cap: float = 120., amp: str = 'none',
            threads: int = 0) -> Dict:
    """Time and peak memory of one configuration, in this process.

    Args:
        spec: Model (see :mod:`.models`).
        size: Square input side in pixels.
        batch: Images per iteration.
        mode: ``'fwd'`` (eval, no grad) or ``'fwd+bwd'`` (train mode, the
            loss is the sum of every output's mean).
        device: ``'cpu'`` or ``'cuda[:i]'``. Defaults to ``'cpu'``.
        repeat: Timed iterations (fewer if ``time_cap`` is reached, at least
            one). Defaults to 3.
        warmup: Untimed iterations first. Defaults to 1.
        time_cap: Seconds after which no further timed iteration starts.
            Defaults to 120.
        amp: ``'none'``, ``'bf16'`` or ``'fp16'`` autocast. Defaults to
            ``'none'``.
        threads: torch threads on the CPU; 0 keeps torch's default.

    Returns:
        Dict with ``status``, ``sec_per_iter``, ``img_per_s``,
        ``peak_mem_mb`` (CUDA allocator peak / CPU peak RSS),
        ``base_mem_mb`` (before the model was built), ``net_mem_mb``
        (peak - base), ``params_m`` and ``iters``.
    """
    dev = torch.device(device)
    if threads > 0:
        torch.set_num_threads(threads)
    if spec['family'] == 'rsvheat':
        os.environ['RSVHEAT_DCT_METHOD'] = spec['dct']
    out = dict(status='ok', iters=0)
    preload(spec)
    # start torch's thread pool and BLAS buffers before the baseline
    torch.nn.functional.conv2d(torch.ones(1, 2, 8, 8, device=dev),
                               torch.ones(2, 2, 3, 3, device=dev)).sum()
    _sync(dev)
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev) / _MB
    else:
        base = _rss_peak_mb()
    out['base_mem_mb'] = base
    try:
        model = build_model(spec, size).to(dev)
        out['params_m'] = sum(p.numel() for p in model.parameters()) / 1e6
        x = torch.randn(batch, 3, size, size, device=dev)
        train = mode == 'fwd+bwd'
        model.train(train)
        if not train and spec['family'] == 'rsvheat':
            model.switch_to_deploy(size)
        amp_dtype = _amp_dtype(amp)

        def step() -> None:
            with torch.autocast(dev.type, dtype=amp_dtype,
                                enabled=amp_dtype is not None):
                with torch.set_grad_enabled(train):
                    feats = model(x)
                    if train:
                        loss = sum(f.float().mean() for f in feats)
            if train:
                loss.backward()
                model.zero_grad(set_to_none=False)

        start = time.perf_counter()
        for _ in range(warmup):
            step()
        _sync(dev)
        times: List[float] = []
        while len(times) < max(1, repeat):
            t0 = time.perf_counter()
            step()
            _sync(dev)
            times.append(time.perf_counter() - t0)
            if time.perf_counter() - start > time_cap:
                break
        times.sort()
        sec = times[len(times) // 2]  # median
        out.update(iters=len(times), sec_per_iter=sec,
                   img_per_s=batch / sec, sec_all=times)
    except Exception as err:  # OOM and friends are results, not crashes
        msg = f'{type(err).__name__}: {err}'.splitlines()[0][:300]
        oom = isinstance(err, (MemoryError, torch.OutOfMemoryError)) or any(
            m in msg for m in _OOM_MARKERS)
        out.update(status='oom' if oom else 'error', message=msg)
    if dev.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(dev) / _MB
    else:
        peak = _rss_peak_mb()
    out.update(peak_mem_mb=peak, net_mem_mb=peak - base)
    return out


def run_isolated(tool: str, job: Dict, time_cap: float,
                 env: Optional[Dict[str, str]] = None) -> Dict:
    """Run ``measure(**job)`` in a fresh process of ``tool --child``.

    The child is killed after ``time_cap * 1.5 + 120`` seconds (model build
    and warm-up included) and the result is ``status='timeout'``; a child
    killed by the kernel (e.g. the OOM killer, signal 9) gives
    ``status='oom'``.
    """
    cmd = [sys.executable, tool, '--child', json.dumps(job)]
    limit = time_cap * 1.5 + 120
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return dict(status='timeout',
                    message=f'killed after {limit:.0f} s (--time-cap '
                    f'{time_cap:g} s)')
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith('@@RESULT '):
            return json.loads(line[len('@@RESULT '):])
    if proc.returncode in (-9, 137):
        return dict(status='oom', message='killed by signal 9 (the kernel '
                    'OOM killer or a memory limit)')
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return dict(status='error', message=' | '.join(tail)[:300] or
                f'child exited with {proc.returncode}')
