"""Efficiency analysis: FLOP counting (DCT matmuls and FFTs included),
isolated time / peak-memory measurements, HCO path sweeps and reports.

Used by ``tools/analysis_tools/benchmark.py``; needs only torch, mmengine,
mmpretrain (for the attention baselines) and the backbone.
"""
from .flops import count_macs, fake_mode, fft_flop_mapping
from .models import (DEFAULT_MODELS, KNOWN_MODELS, ModelSpec, build_model,
                     parse_model)
from .report import compare, fit_all, fit_exponent, markdown, plot_loglog

__all__ = [
    'count_macs', 'fake_mode', 'fft_flop_mapping', 'DEFAULT_MODELS',
    'KNOWN_MODELS', 'ModelSpec', 'build_model', 'parse_model', 'compare',
    'fit_all', 'fit_exponent', 'markdown', 'plot_loglog'
]
