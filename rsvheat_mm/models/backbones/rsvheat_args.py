"""Checks of :class:`~.rsvheat.RSvHeat`'s arguments and inputs.

Every error names the fix (the config key to set, the preprocessing step).
"""
import warnings
from numbers import Integral
from copy import deepcopy
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
from torch import Tensor

__all__ = ['parse_arch', 'parse_in_channels', 'parse_out_indices',
           'check_drop_path_rate', 'check_input', 'check_output',
           'select_stems', 'to_pair', 'check_choice',
           'pretrained_to_init_cfg']


def parse_arch(arch: Union[str, dict], arch_zoo: Dict[str, dict],
               required: Set[str], optional: Set[str]) -> dict:
    """Resolve ``arch`` to a full settings dict.

    Args:
        arch: A key of ``arch_zoo`` (any case) or a custom dict.
        arch_zoo: Named settings.
        required: Keys a custom dict must have.
        optional: Further keys it may have.

    Returns:
        A copy of the settings with every optional key set (custom dicts:
        ``post_norm=False``, ``layer_scale=None``, ``drop_path_rate=0``;
        all: ``mlp_ratio=4``).
    """
    if isinstance(arch, str):
        key = arch.lower()
        if key not in arch_zoo:
            raise ValueError(
                f'Unknown arch {arch!r}: choose one of '
                f'{sorted(set(arch_zoo))} or pass a dict with keys '
                f'{sorted(required)} (optional: {sorted(optional)}).')
        cfg = deepcopy(arch_zoo[key])
    elif isinstance(arch, dict):
        missing = required - set(arch)
        unknown = set(arch) - required - optional
        if missing or unknown:
            raise ValueError(
                f'Custom arch dict: missing keys {sorted(missing)}, '
                f'unknown keys {sorted(unknown)}; required '
                f'{sorted(required)}, optional {sorted(optional)}.')
        depths = arch['depths']
        if (not isinstance(arch['embed_dims'], int)
                or arch['embed_dims'] < 2 or arch['embed_dims'] % 2
                or not isinstance(depths, (list, tuple)) or not depths
                or not all(isinstance(d, int) and d >= 1 for d in depths)):
            raise ValueError(
                'Custom arch: embed_dims must be an even int >= 2 and '
                f'depths a non-empty list of ints >= 1; got {arch!r}.')
        cfg = dict(post_norm=False, layer_scale=None, drop_path_rate=0.)
        cfg.update(deepcopy(arch))
    else:
        raise TypeError(f'arch must be a str or dict, got {type(arch)}')
    cfg.setdefault('mlp_ratio', 4.)
    return cfg


def parse_in_channels(in_channels: Union[int, Dict[str, int]],
                      default_names: Dict[int, str]) -> Dict[str, int]:
    """Resolve ``in_channels`` to ``{stem name: channels}``.

    Args:
        in_channels: An int (one stem) or a dict of modalities.
        default_names: Stem name of an int by its value; ``'ms'`` for
            values not listed.

    Returns:
        A new dict.
    """
    if isinstance(in_channels, int):
        if in_channels < 1:
            raise ValueError(f'in_channels must be >= 1, got {in_channels}')
        return {default_names.get(in_channels, 'ms'): in_channels}
    if isinstance(in_channels, dict) and in_channels and all(
            isinstance(k, str) and isinstance(v, int) and v >= 1
            for k, v in in_channels.items()):
        return dict(in_channels)
    raise ValueError(
        f'in_channels must be an int or a dict {{modality: channels}} '
        f'such as dict(opt=3, sar=1), got {in_channels!r}')


def parse_out_indices(out_indices: Union[int, Sequence[int]],
                      num_stages: int) -> Tuple[int, ...]:
    """Resolve ``out_indices`` (negative ones count from the end).

    The backbone returns the maps in stage order, so the resolved indices
    must be strictly increasing: an unsorted or repeated sequence (which
    would make ``out_channels`` disagree with the returned maps) raises.

    Args:
        out_indices: A stage index or a non-empty sequence of them.
        num_stages: Number of stages.

    Returns:
        Non-negative, strictly increasing indices.
    """
    if isinstance(out_indices, Integral):
        out_indices = [out_indices]
    out_indices = tuple(out_indices)
    if not out_indices:
        raise ValueError('out_indices is empty: give at least one stage '
                         f'index in 0..{num_stages - 1}')
    result = []
    for i in out_indices:
        if isinstance(i, bool) or not isinstance(i, Integral):
            raise ValueError(f'out_indices {out_indices}: {i!r} is not an '
                             f'int stage index')
        j = int(i) + num_stages if i < 0 else int(i)
        if not 0 <= j < num_stages:
            raise ValueError(f'out_indices {out_indices}: index {i} '
                             f'is out of range for {num_stages} stages')
        result.append(j)
    if any(b <= a for a, b in zip(result, result[1:])):
        fix = tuple(sorted(set(result)))
        raise ValueError(
            f'out_indices {out_indices} (stages {tuple(result)}) must be '
            f'strictly increasing without repeats: the maps are returned in '
            f'stage order and out_channels follows out_indices. Use '
            f'out_indices={fix} and reorder the maps in the neck if needed.')
    return tuple(result)


def check_drop_path_rate(rate) -> float:
    """Return ``rate`` as a float if it is in [0, 1), else raise.

    Args:
        rate: Maximum stochastic-depth rate (``drop_path_rate`` argument or
            the arch's value).
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
            or not 0 <= rate < 1:
        raise ValueError(
            f'drop_path_rate={rate!r}: must be a number in [0, 1) (the '
            f'probability of dropping a block\'s residual branch; 1 drops '
            f'every branch). Typical values: 0.1 tiny, 0.3 small, 0.5 base.')
    return float(rate)


def check_input(x: Tensor, min_size: int, check_finite: bool,
                in_channels: Optional[Dict[str, int]] = None,
                weight_dtype: Optional[torch.dtype] = None) -> None:
    """Raise on a tensor RSvHeat cannot take.

    Checks, in order: a 4-D tensor, a non-empty batch, a floating dtype
    equal to the weights' (unless autocast is on; the input is never cast
    silently), the channels-first layout, the minimum size and -- with
    ``check_finite`` -- finite values.

    Args:
        x: The input; must be a [B, C, H, W] tensor.
        min_size: Smallest accepted side, in pixels.
        check_finite: Also raise on NaN / Inf values.
        in_channels: ``{stem name: channels}`` of the model, to recognise a
            channels-last ([B, H, W, C]) input. Defaults to None (no check).
        weight_dtype: dtype of the model's weights. Defaults to None (no
            check).
    """
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise ValueError('RSvHeat expects a 4-D tensor [B, C, H, W], got '
                         f'{getattr(x, "shape", type(x))}')
    if x.shape[0] == 0:
        raise ValueError(
            f'RSvHeat got an empty batch (input shape {tuple(x.shape)}): '
            f'pass at least one image (check the data loader / the list of '
            f'images given to inference).')
    if not x.is_floating_point():
        raise TypeError(
            f'RSvHeat got a {x.dtype} input: it takes normalised floating '
            f'point images. Let the data preprocessor convert and normalise '
            f'them (data_preprocessor with mean/std), or call '
            f'x.float() and normalise yourself (mean/std of the '
            f'pretraining).')
    if (weight_dtype is not None and x.dtype != weight_dtype
            and not torch.is_autocast_enabled(x.device.type)):
        raise TypeError(
            f'RSvHeat\'s weights are {weight_dtype} but the input is '
            f'{x.dtype}: cast the input (x.to({weight_dtype})) or the model '
            f'(model.to({x.dtype})), or run under torch.autocast.')
    c, h, w = x.shape[1:]
    if in_channels is not None:
        valid = set(in_channels.values()) | {sum(in_channels.values())}
        if c not in valid and w in valid:
            raise ValueError(
                f'RSvHeat input of shape {tuple(x.shape)} looks channels-last '
                f'[B, H, W, C] (last dim {w} matches the model\'s input '
                f'channels {sorted(valid)}): it expects [B, C, H, W]; use '
                f'x.permute(0, 3, 1, 2).')
    if min(h, w) < min_size:
        raise ValueError(
            f'Input of {h}x{w} px is below RSvHeat\'s minimum of '
            f'{min_size} px per side (total stride 32). Resize or '
            f'pad the image (e.g. pad_size_divisor=32 in the data '
            f'preprocessor), or lower min_size.')
    # data-dependent: skipped while tracing / compiling (export, dynamo)
    if (check_finite and not (torch.jit.is_tracing()
                              or torch.compiler.is_compiling())
            and not torch.isfinite(x).all()):
        raise ValueError(
            'RSvHeat input contains NaN or Inf values. Check the image '
            'file and the normalisation (mean/std, SAR log scaling); '
            'replace invalid pixels (e.g. nan_to_num) before the model.')


def check_output(outs: Sequence[Tensor], x: Tensor) -> None:
    """Raise if a feature map of a finite input ``x`` is not finite.

    Float overflow inside the model (e.g. an unnormalised input of 1e30, or
    diverged weights) would otherwise return NaN features silently.

    Args:
        outs: The returned maps.
        x: The (finite) input.
    """
    if not outs or bool(torch.stack([torch.isfinite(o).all()
                                     for o in outs]).all()):
        return  # one host sync for all maps
    bad = [i for i, o in enumerate(outs) if not torch.isfinite(o).all()]
    raise ValueError(
        f'RSvHeat features {bad} (positions in out_indices) contain NaN or '
        f'Inf although the input is finite (max |x| = '
        f'{x.detach().abs().max().item():.3g}, dtype {x.dtype}): the values '
        f'overflowed inside the model. Normalise the input (mean/std, SAR '
        f'log scaling: values of order 1); if it already is, the weights '
        f'have diverged (check the checkpoint, lower the learning rate).')


def select_stems(channels: int, in_channels: Dict[str, int],
                 modality: Optional[str]) -> List[Tuple[str, slice]]:
    """Stems an input of ``channels`` channels goes through.

    Args:
        channels: Channels of the input.
        in_channels: ``{stem name: channels}`` of the model.
        modality: The stem asked for, or None: the only stem, the stem
            whose channel count matches, or -- for all modalities
            concatenated in the order of ``in_channels`` -- every stem.

    Returns:
        ``[(stem name, channel slice of the input)]``.
    """
    c = channels
    names = list(in_channels)
    if modality is not None:
        if modality not in in_channels:
            raise ValueError(f'Unknown modality {modality!r}: this model '
                             f'has stems {names}')
        if c != in_channels[modality]:
            raise ValueError(
                f'The {modality!r} stem takes {in_channels[modality]} '
                f'channels but the input has {c}. Pass the right modality '
                f'or set in_channels.')
        return [(modality, slice(0, c))]
    matches = [n for n in names if in_channels[n] == c]
    if len(matches) == 1:
        return [(matches[0], slice(0, c))]
    total = sum(in_channels.values())
    if len(names) > 1 and c == total:
        parts, start = [], 0
        for n in names:
            parts.append((n, slice(start, start + in_channels[n])))
            start += in_channels[n]
        return parts
    expect = ' or '.join(
        [f'{v} ({k})' for k, v in in_channels.items()] +
        ([f'{total} (all modalities concatenated in the order '
          f'{names})'] if len(names) > 1 else []))
    raise ValueError(
        f'RSvHeat got an input with {c} channels but expects {expect}. '
        f'Set in_channels={c} (or a dict of modalities) in the backbone '
        f'config, or fix the data pipeline (e.g. color_type, '
        f'to_rgb, the number of bands read).')


def to_pair(size: Union[int, Sequence[int]],
            name: str = 'img_size') -> Tuple[int, int]:
    """``size`` as ``(H, W)``: an int ``n`` gives ``(n, n)``.

    Args:
        size: An int or ``(H, W)``, each a positive int.
        name: The argument's name, for the message. Defaults to
            ``'img_size'``.
    """
    def ok(v) -> bool:
        return isinstance(v, Integral) and not isinstance(v, bool) and v >= 1

    pair = (size, size) if isinstance(size, Integral) else tuple(size) \
        if isinstance(size, (list, tuple)) else None
    if pair is None or len(pair) != 2 or not all(ok(v) for v in pair):
        raise ValueError(f'{name} must be a positive int or (H, W) of '
                         f'positive ints (e.g. 224), got {size!r}')
    return (int(pair[0]), int(pair[1]))


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise.

    Args:
        name: The argument's name, for the message.
        value: Its value.
        choices: The accepted values.
    """
    if value not in choices:
        raise ValueError(f'{name}={value!r}: choose one of {choices}')
    return value


def pretrained_to_init_cfg(pretrained: Optional[str],
                           init_cfg: Optional[Union[dict, List[dict]]]
                           ) -> Optional[Union[dict, List[dict]]]:
    """Turn the deprecated ``pretrained`` (passed by mmseg's
    ``EncoderDecoder``) into ``init_cfg``, with a warning.

    Args:
        pretrained: Checkpoint path or None.
        init_cfg: The ``init_cfg`` given; must be None with ``pretrained``.

    Returns:
        ``init_cfg``, or ``dict(type='Pretrained', checkpoint=pretrained)``.
    """
    if pretrained is None:
        return init_cfg
    if init_cfg is not None:
        raise ValueError('Set either init_cfg or pretrained, not both')
    warnings.warn('RSvHeat: `pretrained` is deprecated, use '
                  "init_cfg=dict(type='Pretrained', checkpoint=...)")
    return dict(type='Pretrained', checkpoint=pretrained)
