"""Checks of :class:`~.rsvheat.RSvHeat`'s arguments and inputs.

Every error names the fix (the config key to set, the preprocessing step).
"""
import warnings
from copy import deepcopy
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
from torch import Tensor

__all__ = ['parse_arch', 'parse_in_channels', 'parse_out_indices',
           'check_input', 'select_stems', 'to_pair', 'check_choice',
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

    Args:
        out_indices: A stage index or a sequence of them.
        num_stages: Number of stages.

    Returns:
        Non-negative indices in the given order.
    """
    if isinstance(out_indices, int):
        out_indices = [out_indices]
    result = []
    for i in out_indices:
        j = i + num_stages if i < 0 else i
        if not 0 <= j < num_stages:
            raise ValueError(f'out_indices {tuple(out_indices)}: index {i} '
                             f'is out of range for {num_stages} stages')
        result.append(j)
    return tuple(result)


def check_input(x: Tensor, min_size: int, check_finite: bool) -> None:
    """Raise on a tensor RSvHeat cannot take.

    Args:
        x: The input; must be a [B, C, H, W] tensor.
        min_size: Smallest accepted side, in pixels.
        check_finite: Also raise on NaN / Inf values.
    """
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise ValueError('RSvHeat expects a 4-D tensor [B, C, H, W], got '
                         f'{getattr(x, "shape", type(x))}')
    h, w = x.shape[-2:]
    if min(h, w) < min_size:
        raise ValueError(
            f'Input of {h}x{w} px is below RSvHeat\'s minimum of '
            f'{min_size} px per side (total stride 32). Resize or '
            f'pad the image (e.g. pad_size_divisor=32 in the data '
            f'preprocessor), or lower min_size.')
    if check_finite and not torch.isfinite(x).all():
        raise ValueError(
            'RSvHeat input contains NaN or Inf values. Check the image '
            'file and the normalisation (mean/std, SAR log scaling); '
            'replace invalid pixels (e.g. nan_to_num) before the model.')


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


def to_pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``img_size`` as ``(H, W)``: an int ``n`` gives ``(n, n)``."""
    if isinstance(size, int):
        return (size, size)
    if len(size) != 2:
        raise ValueError(f'img_size must be an int or (H, W), got {size!r}')
    return (int(size[0]), int(size[1]))


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
