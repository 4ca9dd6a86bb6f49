"""Backbones compared by the benchmark, built from installed toolboxes.

Every entry is a *dense* backbone returning multi-scale features, built with
its own toolbox's defaults except the input size; drop path is 0 for all,
so forward+backward timings compare the same work every iteration.

Names (``--models``):

=================  ==========================================================
``rsvheat-t/s/b``  :class:`rsvheat_mm.models.backbones.RSvHeat` tiny / small /
                   base, FVE/SCE resized to the input, ``check_finite`` off.
                   Suffix ``@matrix`` / ``@fft`` / ``@auto`` forces the DCT
                   path (default ``auto``); ``cache_decays=True`` (the
                   speed setting), so in forward mode the decays are
                   precomputed with ``switch_to_deploy(size)``.
``rsvheat-*-lean`` The same model with ``cache_decays=False`` (lean mode: no
                   decay or resized FVE/SCE is kept; each block computes
                   its decay in its forward, so ``to_k(FVE)`` is counted).
``swin-b``         mmpretrain ``SwinTransformer('base')``, fixed 7 x 7 window
                   (all four stages returned).
``swin-b-win32``   Swin-B with ``window_size = input / 32`` (7 at 224), the
                   window scaled with the input.
``vit-b``          mmpretrain ``VisionTransformer('base')``, 16 x 16 patches,
                   global attention in all 12 blocks, feature-map output.
``vit-b-win``      mmpretrain ``ViTSAM('base')`` without its neck: ViT-B/16
                   with 14 x 14 window attention and global attention in
                   blocks 3/6/9/12 (the ViTDet layout). A stand-in for the
                   RVSA family (same windowed-ViT-B cost class), **not**
                   RVSA's rotated varied-size windows.
=================  ==========================================================

Custom entries (tiny test models): ``NAME=FAMILY:JSON`` where FAMILY is
``rsvheat``, ``rsvheat-lean``, ``swin``, ``vit`` or ``vit-win`` and JSON the
``arch`` dict.
"""
import json
from typing import Callable, Dict, Optional, Tuple

from torch import nn

__all__ = ['ModelSpec', 'parse_model', 'build_model', 'DEFAULT_MODELS',
           'KNOWN_MODELS']


class ModelSpec(dict):
    """``dict(name, family, arch, dct, lean)`` describing one benchmarked
    model (``lean``: RSvHeat with ``cache_decays=False``)."""

    @property
    def name(self) -> str:
        return self['name']


KNOWN_MODELS: Dict[str, Tuple[str, object]] = {
    'rsvheat-t': ('rsvheat', 'tiny'),
    'rsvheat-s': ('rsvheat', 'small'),
    'rsvheat-b': ('rsvheat', 'base'),
    'swin-b': ('swin', 'base'),
    'swin-b-win32': ('swin-scaled', 'base'),
    'vit-b': ('vit', 'base'),
    'vit-b-win': ('vit-win', 'base'),
}
DEFAULT_MODELS = ('rsvheat-t', 'rsvheat-s', 'rsvheat-b', 'swin-b',
                  'swin-b-win32', 'vit-b', 'vit-b-win')
_FAMILIES = ('rsvheat', 'swin', 'swin-scaled', 'vit', 'vit-win')
_DCT = ('auto', 'matrix', 'fft')


def parse_model(text: str) -> ModelSpec:
    """Parse ``NAME[@dct]`` or ``NAME=FAMILY:JSON`` (see module docstring)."""
    if '=' in text:
        name, rest = text.split('=', 1)
        family, _, arch = rest.partition(':')
        lean = family == 'rsvheat-lean'
        family = 'rsvheat' if lean else family
        if family not in _FAMILIES:
            raise ValueError(f'--models {text!r}: family {family!r} is not '
                             f'one of {_FAMILIES} (NAME=FAMILY:JSON)')
        try:
            arch = json.loads(arch)
        except json.JSONDecodeError as err:
            raise ValueError(f'--models {text!r}: the arch after ":" must be '
                             f'JSON, e.g. rs=rsvheat:{{"embed_dims": 8, '
                             f'"depths": [1, 1, 1, 1]}} ({err})') from None
    else:
        name = text
        base = name.split('@')[0]
        lean = base.endswith('-lean') and \
            KNOWN_MODELS.get(base[:-5], ('', ))[0] == 'rsvheat'
        base = base[:-5] if lean else base
        if base not in KNOWN_MODELS:
            raise ValueError(f'--models: unknown model {text!r}; known: '
                             f'{sorted(KNOWN_MODELS)} (or NAME=FAMILY:JSON)')
        family, arch = KNOWN_MODELS[base]
    dct = name.split('@')[1] if '@' in name else 'auto'
    if dct not in _DCT:
        raise ValueError(f'--models {text!r}: DCT suffix must be one of '
                         f'{_DCT}')
    if dct != 'auto' and family != 'rsvheat':
        raise ValueError(f'--models {text!r}: only RSvHeat models take a '
                         f'@{dct} suffix')
    return ModelSpec(name=name, family=family, arch=arch, dct=dct, lean=lean)


def _rsvheat(spec: ModelSpec, size: int) -> nn.Module:
    from rsvheat_mm.models.backbones.rsvheat import RSvHeat
    return RSvHeat(arch=spec['arch'], img_size=224, drop_path_rate=0.,
                   check_finite=False,
                   cache_decays=not spec.get('lean', False))


def _swin(arch, size: int, scaled: bool) -> nn.Module:
    from mmpretrain.models.backbones import SwinTransformer
    window = max(1, size // 32) if scaled else 7
    return SwinTransformer(arch=arch, img_size=size, window_size=window,
                           drop_path_rate=0., out_indices=(0, 1, 2, 3),
                           pad_small_map=True)


def _vit(arch, size: int) -> nn.Module:
    from mmpretrain.models.backbones import VisionTransformer
    return VisionTransformer(arch=arch, img_size=size, patch_size=16,
                             drop_path_rate=0., out_type='featmap',
                             with_cls_token=False, final_norm=True)


def _vit_win(arch, size: int) -> nn.Module:
    from mmpretrain.models.backbones import ViTSAM
    return ViTSAM(arch=arch, img_size=size, patch_size=16, out_channels=0,
                  window_size=14, drop_path_rate=0., out_type='featmap')


#: family -> builder(spec, size)
_BUILDERS: Dict[str, Callable] = {
    'rsvheat': _rsvheat,
    'swin': lambda p, s: _swin(p['arch'], s, False),
    'swin-scaled': lambda p, s: _swin(p['arch'], s, True),
    'vit': lambda p, s: _vit(p['arch'], s),
    'vit-win': lambda p, s: _vit_win(p['arch'], s),
}


def preload(spec: ModelSpec) -> None:
    """Import the toolbox that builds ``spec`` (so imports are not counted
    as the measurement's memory)."""
    if spec['family'] == 'rsvheat':
        import rsvheat_mm.models.backbones.rsvheat  # noqa: F401
    else:
        import mmpretrain.models.backbones  # noqa: F401


def build_model(spec: ModelSpec, size: int) -> nn.Module:
    """Build ``spec`` for square inputs of ``size`` px (on the CPU)."""
    return _BUILDERS[spec['family']](spec, size)


def describe(spec: ModelSpec, size: Optional[int] = None) -> str:
    """One-line description of the configuration (for the report)."""
    fam, arch = spec['family'], spec['arch']
    text = {
        'rsvheat': 'RSvHeat',
        'swin': 'mmpretrain Swin, window 7',
        'swin-scaled': 'mmpretrain Swin, window input/32',
        'vit': 'mmpretrain ViT/16, global attention',
        'vit-win': 'mmpretrain ViTSAM/16 (window 14 + 4 global blocks)',
    }[fam]
    arch = arch if isinstance(arch, str) else json.dumps(arch)
    extra = f', DCT {spec["dct"]}' if fam == 'rsvheat' else ''
    if spec.get('lean'):
        extra += ', cache_decays=False (lean)'
    return f'{text} arch={arch}{extra}'
