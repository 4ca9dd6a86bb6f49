"""Matrix vs FFT heat transform: timing, accuracy and the auto choice."""
import time
from typing import Dict, List, Sequence, Tuple

import torch

from rsvheat_mm.models.utils.fast_dct import choose_method
from rsvheat_mm.models.utils.heat_math import heat_transform

__all__ = ['hco_sweep', 'DEFAULT_HCO_SHAPES']

#: (H, W, C) of RSvHeat-base stage maps at 512 / 1024 / 2048 px inputs
DEFAULT_HCO_SHAPES = ((128, 128, 128), (64, 64, 256), (32, 32, 512),
                      (16, 16, 1024), (256, 256, 128), (128, 128, 256),
                      (512, 512, 128), (512, 512, 16), (1024, 1024, 16))
#: timing noise tolerated before "auto picked the slower path" is flagged
NOISE = 0.10


def _time(fn, repeat: int, device: torch.device) -> float:
    fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def hco_sweep(shapes: Sequence[Tuple[int, int, int]] = DEFAULT_HCO_SHAPES,
              batch: int = 1, device: str = 'cpu', repeat: int = 3,
              seed: int = 0) -> List[Dict]:
    """Time both HCO paths per shape and check the ``'auto'`` choice.

    Args:
        shapes: (H, W, C) maps. Defaults to :data:`DEFAULT_HCO_SHAPES`.
        batch: Batch size. Defaults to 1.
        device: Device. Defaults to ``'cpu'``.
        repeat: Timed calls per path (median). Defaults to 3.
        seed: RNG seed of the random inputs. Defaults to 0.

    Returns:
        One dict per shape: ``matrix_ms``, ``fft_ms``, ``auto`` (the path
        ``method='auto'`` takes), ``auto_is_fastest`` (its time is within
        10% of the faster one) and ``rel_err_fft`` / ``rel_err_matrix``
        (float32 vs a float64 matrix reference, relative L2).
    """
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for h, w, c in shapes:
        u = torch.randn(batch, h, w, c, generator=gen)
        d = torch.rand(h, w, c, generator=gen)
        ref = heat_transform(u.double(), d.double(), 'matrix')
        u, d = u.to(dev), d.to(dev)
        out = {}
        with torch.no_grad():
            for m in ('matrix', 'fft'):
                y = heat_transform(u, d, m).double().cpu()
                out[f'rel_err_{m}'] = float((y - ref).norm() / ref.norm())
                out[f'{m}_ms'] = 1e3 * _time(
                    lambda m=m: heat_transform(u, d, m), repeat, dev)
        auto = choose_method(h, w, dev)
        best = min(out['matrix_ms'], out['fft_ms'])
        rows.append(dict(h=h, w=w, c=c, batch=batch, device=str(dev),
                         auto=auto,
                         auto_is_fastest=out[f'{auto}_ms'] <= best *
                         (1 + NOISE), **out))
    return rows
