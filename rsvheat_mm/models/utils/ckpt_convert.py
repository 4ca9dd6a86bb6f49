"""Checkpoint conversion (official vHeat / RS-vHeat -> rsvheat_mm) and
strict pretrained loading for :class:`~rsvheat_mm.models.backbones.RSvHeat`.

Official layouts handled (see ``docs/method.md``, "Official checkpoints"):

* vHeat classification: ``{'model', 'model_ema', ...}``, keys
  ``patch_embed.*``, ``freq_embed.i``, ``layers.i.j.*`` (blocks) and
  ``layers.i.{depth_i}.0|1`` (downsample), ``classifier.*``;
* vHeat detection / segmentation (mmengine): ``{'state_dict'}`` with
  ``backbone.``-prefixed keys, ``backbone.outnorm{i}`` and neck/head keys;
* RS-vHeat: ``patch_embed_opt.*`` / ``patch_embed_sar.*``,
  ``heat_capacity.i``, ``layers.i.j.op.norm1``; pretraining checkpoints
  under ``encoder.`` with ``fuse_frequency.*``;
* inference ("deploy") checkpoints hold ``layers.i.j.op.k_exp`` instead of
  ``freq_embed`` and ``to_k``. The decay of each block at that one size is
  all they keep: ``K = ReLU(W FVE + b)`` is many-to-one, so the FVE and the
  ``to_k`` weights cannot be recovered. Everything else converts.
"""
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from mmengine.logging import print_log
from torch import Tensor

from ...utils.safe_load import load_checkpoint_file

__all__ = [
    'ConversionReport', 'extract_state_dict', 'convert_state_dict',
    'infer_arch', 'load_pretrained', 'split_key_mismatch', 'describe_keys',
    'UnknownLayoutError', 'DeployCheckpointError'
]


class UnknownLayoutError(ValueError):
    """The checkpoint has keys of no layout this converter knows."""


class DeployCheckpointError(ValueError):
    """The checkpoint is an inference-only (k_exp) checkpoint."""


@dataclass
class ConversionReport:
    """What :func:`convert_state_dict` did, key by key.

    Args:
        mapped: ``(official key, new key)`` pairs. Defaults to [].
        kept: Keys already in rsvheat_mm's layout. Defaults to [].
        dropped: Keys not used by the backbone (heads, necks, keys outside
            the prefix). Defaults to [].
        reshaped: New keys whose Linear weight became a 1x1 conv weight.
            Defaults to [].
        deploy: Inference-only ``k_exp`` keys (skipped). Defaults to [].
        unknown: Keys of no known layout. Defaults to [].
        prefix: The prefix the keys were taken under. Defaults to None.
    """
    mapped: List[Tuple[str, str]] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)
    reshaped: List[str] = field(default_factory=list)
    deploy: List[str] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)
    prefix: Optional[str] = None

    def summary(self) -> str:
        """A few lines for the log: counts, first mappings, dropped keys."""
        lines = [f'mapped {len(self.mapped)} keys, kept {len(self.kept)} '
                 f'native keys, dropped {len(self.dropped)}, reshaped '
                 f'{len(self.reshaped)}']
        if self.prefix:
            lines.append(f'used the keys under prefix {self.prefix!r}')
        for src, dst in self.mapped[:8]:
            lines.append(f'  map  {src} -> {dst}')
        if len(self.mapped) > 8:
            lines.append(f'  ... and {len(self.mapped) - 8} more')
        if self.dropped:
            lines.append('  drop ' + ', '.join(_group(self.dropped)))
        if self.reshaped:
            lines.append('  reshape ' + ', '.join(self.reshaped[:6]) +
                         (' ...' if len(self.reshaped) > 6 else ''))
        if self.deploy:
            lines.append(f'  deploy-only k_exp tensors: {len(self.deploy)}')
        if self.unknown:
            lines.append('  UNKNOWN ' + ', '.join(self.unknown[:10]))
        return '\n'.join(lines)


def _group(keys: List[str]) -> List[str]:
    """Summarise keys by their first two name components."""
    counts: Dict[str, int] = OrderedDict()
    for k in keys:
        head = '.'.join(k.split('.')[:2])
        counts[head] = counts.get(head, 0) + 1
    return [f'{h}.* ({n})' if n > 1 else h for h, n in counts.items()]


def extract_state_dict(obj, key: Optional[str] = None) -> Dict[str, Tensor]:
    """Unwrap ``state_dict`` / ``model`` / ``model_ema`` / a bare dict.

    Args:
        obj: What ``torch.load`` returned.
        key: Wrapper key to use. None auto-detects ``state_dict`` then
            ``model`` then a bare dict (``model_ema`` only when asked,
            published numbers do not say which copy they used).
            Defaults to None.

    Returns:
        The tensors of the state dict, by name.
    """
    if not isinstance(obj, dict):
        raise UnknownLayoutError(
            f'checkpoint is a {type(obj).__name__}, not a dict of tensors')
    if key is not None:
        if key not in obj:
            raise KeyError(f'checkpoint has no {key!r} entry; top-level '
                           f'keys: {sorted(obj)[:20]}')
        obj = obj[key]
    elif 'state_dict' in obj and isinstance(obj['state_dict'], dict):
        obj = obj['state_dict']
    elif 'model' in obj and isinstance(obj['model'], dict):
        obj = obj['model']
    tensors = {k: v for k, v in obj.items() if isinstance(v, Tensor)}
    if not tensors:
        raise UnknownLayoutError(
            'no tensors found in the checkpoint (top-level keys: '
            f'{sorted(obj)[:20]}); pass the wrapper key explicitly')
    return tensors


_STEM = r'patch_embed(?:_(opt|sar))?'
_BLOCK_PARTS = (r'norm1|norm2|gamma1|gamma2|op\.norm1|op\.dwconv|op\.linear'
                r'|op\.out_norm|op\.out_linear|mlp\.fc1|mlp\.fc2')
_RULES = [
    (re.compile(rf'^{_STEM}\.(conv1|conv2)\.(weight|bias)$'),
     lambda m: f'stems.{m[1] or "opt"}.{m[2]}.{m[3]}'),
    (re.compile(rf'^{_STEM}\.(norm1|norm2)\.1\.(weight|bias)$'),
     lambda m: f'stems.{m[1] or "opt"}.{m[2]}.{m[3]}'),
    (re.compile(r'^freq_embed\.(\d+)$'), lambda m: f'fve.{m[1]}'),
    (re.compile(r'^heat_capacity\.(\d+)$'), lambda m: f'sce.{m[1]}'),
    (re.compile(r'^layers\.(\d+)\.(\d+)\.op\.to_k\.0\.(weight|bias)$'),
     lambda m: f'stages.{m[1]}.blocks.{m[2]}.op.to_k.{m[3]}'),
    (re.compile(
        rf'^layers\.(\d+)\.(\d+)\.({_BLOCK_PARTS})(\.weight|\.bias)?$'),
     lambda m: f'stages.{m[1]}.blocks.{m[2]}.{m[3]}{m[4] or ""}'),
    (re.compile(r'^layers\.(\d+)\.\d+\.0\.weight$'),
     lambda m: f'downsamples.{m[1]}.conv.weight'),
    (re.compile(r'^layers\.(\d+)\.\d+\.1\.(weight|bias)$'),
     lambda m: f'downsamples.{m[1]}.norm.{m[2]}'),
    (re.compile(r'^outnorm(\d+)\.(weight|bias)$'),
     lambda m: f'norm{m[1]}.{m[2]}'),
]
_DEPLOY = re.compile(r'^layers\.(\d+)\.(\d+)\.op\.k_exp$')
_NATIVE = re.compile(
    r'^(stems\.\w+\.(conv1|conv2|norm1|norm2)\.(weight|bias)|fve\.\d+|'
    r'sce\.\d+|stages\.\d+\.blocks\.\d+\.[\w.]+|downsamples\.\d+\.'
    r'(conv|norm)\.(weight|bias)|norm\d+\.(weight|bias))$')
_DROP = re.compile(r'^(classifier|head|fuse_frequency|decoder|neck|'
                   r'decode_head|auxiliary_head|rpn_head|roi_head|'
                   r'data_preprocessor)\.')
_CONV1X1 = re.compile(r'mlp\.fc[12]\.weight$')


def convert_state_dict(
    state_dict: Dict[str, Tensor],
    prefix: Optional[str] = None
) -> Tuple['OrderedDict[str, Tensor]', ConversionReport]:
    """Map an official (or native) state dict to rsvheat_mm's backbone keys.

    Args:
        state_dict: Bare ``{name: tensor}`` mapping.
        prefix: Keep only keys under this prefix (stripped). None strips
            ``module.`` and auto-selects ``backbone.`` (dense checkpoints) or
            ``encoder.`` (RS-vHeat pretraining) when present.
            Defaults to None.

    Returns:
        The converted state dict and a :class:`ConversionReport`. Unknown
        keys are listed in ``report.unknown`` (callers decide to fail).
    """
    report = ConversionReport()
    sd = OrderedDict((k[7:] if k.startswith('module.') else k, v)
                     for k, v in state_dict.items())
    if prefix is None:
        for cand in ('backbone.', 'encoder.'):
            if any(k.startswith(cand) for k in sd):
                prefix = cand
                break
    if prefix:
        report.prefix = prefix
        inside = OrderedDict(
            (k[len(prefix):], v) for k, v in sd.items()
            if k.startswith(prefix))
        report.dropped += [k for k in sd if not k.startswith(prefix)]
        sd = inside
    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    for key, value in sd.items():
        if _DEPLOY.match(key):
            report.deploy.append(key)
            continue
        if _DROP.match(key):
            report.dropped.append(key)
            continue
        for pattern, fn in _RULES:
            m = pattern.match(key)
            if m:
                new = fn(m)
                if _CONV1X1.search(new) and value.ndim == 2:
                    value = value[:, :, None, None]  # Linear2d -> 1x1 conv
                    report.reshaped.append(new)
                out[new] = value
                report.mapped.append((key, new))
                break
        else:
            if _NATIVE.match(key):
                if _CONV1X1.search(key) and value.ndim == 2:
                    value = value[:, :, None, None]
                    report.reshaped.append(key)
                out[key] = value
                report.kept.append(key)
            else:
                report.unknown.append(key)
    return out, report


def infer_arch(state_dict: Dict[str, Tensor]) -> dict:
    """Backbone constructor kwargs implied by a converted state dict.

    Shapes fix ``embed_dims``, ``depths``, ``layer_scale`` (present or
    not), ``use_sce``, the stems and ``img_size``. ``post_norm`` cannot be
    seen in shapes: pass it (or the named arch) yourself.

    Args:
        state_dict: A state dict in rsvheat_mm's layout (converted).

    Returns:
        Keyword arguments of :class:`RSvHeat` (``arch`` a dict).
    """
    stems = {}
    for k, v in state_dict.items():
        m = re.match(r'^stems\.(\w+)\.conv1\.weight$', k)
        if m:
            stems[m[1]] = int(v.shape[1])
    conv2 = [v for k, v in state_dict.items()
             if re.match(r'^stems\.\w+\.conv2\.weight$', k)]
    if not conv2 or not stems:
        raise UnknownLayoutError('no stem weights found: is this an '
                                 'RS-vHeat / vHeat checkpoint?')
    depths: Dict[int, int] = {}
    for k in state_dict:
        m = re.match(r'^stages\.(\d+)\.blocks\.(\d+)\.', k)
        if m:
            i, j = int(m[1]), int(m[2])
            depths[i] = max(depths.get(i, 0), j + 1)
    has_gamma = any(k.endswith('gamma1') for k in state_dict)
    fve0 = state_dict.get('fve.0')
    kwargs = dict(
        arch=dict(embed_dims=int(conv2[0].shape[0]),
                  depths=[depths[i] for i in sorted(depths)],
                  layer_scale=1e-5 if has_gamma else None),
        in_channels=stems if len(stems) > 1 else next(iter(stems.values())),
        use_sce=any(k.startswith('sce.') for k in state_dict))
    if len(stems) == 1 and next(iter(stems)) not in ('opt', 'sar', 'ms'):
        kwargs['in_channels'] = stems
    if fve0 is not None:
        kwargs['img_size'] = (int(fve0.shape[0]) * 4, int(fve0.shape[1]) * 4)
    return kwargs


def describe_keys(keys: List[str], limit: int = 16) -> str:
    """Every key of ``keys``, compactly: blocks of a stage with the same
    parameter names merge into a range, e.g.
    ``stages.2.blocks.6-17.* (10 keys each)``; other keys are grouped by
    their first two name components (see :func:`_group`).

    Args:
        keys: State-dict keys.
        limit: Groups shown before ``... and N more groups``.
            Defaults to 16.
    """
    blocks: Dict[Tuple[str, int], Dict[int, List[str]]] = OrderedDict()
    others: List[str] = []
    for k in keys:
        m = re.match(r'^(stages\.\d+\.blocks)\.(\d+)\.(.+)$', k)
        if m:
            blocks.setdefault((m[1], 0), OrderedDict()).setdefault(
                int(m[2]), []).append(m[3])
        else:
            others.append(k)
    groups: List[str] = []
    for (head, _), by_block in blocks.items():
        run: List[int] = []

        def flush() -> None:
            if not run:
                return
            names = by_block[run[0]]
            span = (f'{run[0]}' if len(run) == 1 else f'{run[0]}-{run[-1]}')
            what = (f'{{{",".join(names)}}}' if len(names) <= 2 else
                    f'* ({len(names)} keys' + (' each)' if len(run) > 1
                                               else ')'))
            groups.append(f'{head}.{span}.{what}')
            run.clear()

        for j in sorted(by_block):
            if run and (j != run[-1] + 1
                        or sorted(by_block[j]) != sorted(by_block[run[0]])):
                flush()
            run.append(j)
        flush()
    groups += _group(others)
    more = len(groups) - limit
    return ', '.join(groups[:limit]) + (f' ... and {more} more groups'
                                        if more > 0 else '')


_OUT_NORM = re.compile(r'^norm\d+\.')
_SCE_KEY = re.compile(r'^(sce\.\d+$|stages\.\d+\.blocks\.\d+\.op\.norm1\.)')
_STEM_KEY = re.compile(r'^stems\.(\w+?)\.')


def split_key_mismatch(own: List[str], ckpt: List[str]
                       ) -> Tuple[List[str], List[str], List[str]]:
    """Sort the key differences between a model and a checkpoint.

    A difference is *allowed* (the part is new, by design, and keeps its
    initialisation) when it is

    * an output norm ``norm{i}`` (a classification checkpoint has none; a
      dense one may have norms of stages this model does not return);
    * a whole stem of a modality only one side has, while the other side
      has a stem of another modality (e.g. an optical checkpoint for a SAR
      or a two-stem model, ``docs/weights.md``); a checkpoint without any
      stem is a mismatch;
    * the whole SCE (``sce.*`` and every ``op.norm1``) missing from a
      plain-vHeat checkpoint loaded into an RS-vHeat model
      (``use_sce=True``).

    Every other missing or unexpected key is a *mismatch* (another depth,
    width, layer scale, norm layout, a foreign or empty checkpoint).

    Args:
        own: The model's state-dict keys.
        ckpt: The converted checkpoint's keys.

    Returns:
        ``(missing, unexpected, allowed)``: the mismatching keys the model
        has and the checkpoint lacks, those the checkpoint has and the
        model lacks, and the allowed differences.
    """
    own_set, ckpt_set = set(own), set(ckpt)
    missing = [k for k in own if k not in ckpt_set]
    unexpected = [k for k in ckpt if k not in own_set]

    def stems(keys):
        return {m[1] for m in map(_STEM_KEY.match, keys) if m}

    own_stems, ckpt_stems = stems(own), stems(ckpt)
    ckpt_has_sce = any(_SCE_KEY.match(k) for k in ckpt)

    def allowed(k: str, other_stems) -> bool:
        if _OUT_NORM.match(k):
            return True
        m = _STEM_KEY.match(k)
        if m and other_stems and m[1] not in other_stems:
            return True  # a whole stem of a modality only one side has
        return bool(_SCE_KEY.match(k)) and not ckpt_has_sce and k in own_set

    ok = [k for k in missing if allowed(k, ckpt_stems)]
    ok += [k for k in unexpected if allowed(k, own_stems)]
    ok_set = set(ok)
    return ([k for k in missing if k not in ok_set],
            [k for k in unexpected if k not in ok_set], ok)


def load_pretrained(model, checkpoint: str, prefix: Optional[str] = None,
                    map_location='cpu', key: Optional[str] = None,
                    strict: bool = True) -> None:
    """Load a checkpoint into an :class:`RSvHeat` strictly.

    Converts official layouts, resizes FVE/SCE to the model's stored size
    (the model's ``fve_resize`` policy) and raises on shape mismatches and
    on unknown keys (listing them). Missing or unexpected backbone keys
    (:func:`split_key_mismatch`: another depth, width, layer scale or norm
    layout, a checkpoint with no backbone tensors) raise too, listing them,
    unless ``strict=False``; the allowed differences (output norms, the
    stem of a modality the checkpoint lacks, the SCE of a plain-vHeat
    checkpoint) are logged as warnings and keep their initialisation.

    Args:
        model: The :class:`RSvHeat` to load into.
        checkpoint: Path of the checkpoint file.
        prefix: Keys to take (stripped), e.g. ``'backbone.'``. None
            auto-selects, see :func:`convert_state_dict`. Defaults to None.
        map_location: Passed to the loader. Defaults to ``'cpu'``.
        key: Wrapper entry, see :func:`extract_state_dict`.
            Defaults to None.
        strict: Raise on missing / unexpected backbone keys. False loads
            the keys that match and warns about the rest (set it in the
            config as ``init_cfg=dict(type='Pretrained', ...,
            strict=False)``). Shape mismatches raise either way.
            Defaults to True.
    """
    if not isinstance(strict, bool):
        raise TypeError(f'init_cfg strict={strict!r}: use True or False')
    obj = load_checkpoint_file(checkpoint, map_location=map_location)
    raw = extract_state_dict(obj, key)
    if prefix:
        if not any(k.startswith(prefix) for k in raw):
            heads = sorted({k.split('.')[0] + '.' for k in raw})
            raise ValueError(
                f'No key of {checkpoint} starts with prefix {prefix!r}; its '
                f'top-level prefixes are {heads[:12]}. Fix init_cfg.prefix '
                f"(e.g. 'backbone.' for a detector/segmentor checkpoint, "
                f'None for a bare backbone).')
    sd, report = convert_state_dict(raw, prefix)
    if report.unknown:
        raise UnknownLayoutError(
            f'{checkpoint}: {len(report.unknown)} keys of an unknown layout, '
            f'e.g. {report.unknown[:8]}. Convert it with '
            f'tools/model_converters/vheat2rsvheat.py or pass the right '
            f'prefix.')
    if report.deploy and not any(k.startswith('fve.') for k in sd):
        raise DeployCheckpointError(
            f'{checkpoint} is an inference (deploy) checkpoint holding '
            f'k_exp instead of the FVE and to_k; they cannot be recovered. '
            f'Use the training checkpoint, or convert with --allow-partial.')
    if report.dropped:
        print_log(f'{checkpoint}: dropped {len(report.dropped)} keys not '
                  f'used by the backbone: '
                  f'{", ".join(_group(report.dropped))}',
                  logger='current')
    model.adapt_state_dict(sd)  # FVE / SCE to the stored size
    own = model.state_dict()
    bad = [(k, tuple(v.shape), tuple(own[k].shape)) for k, v in sd.items()
           if k in own and v.shape != own[k].shape]
    if bad:
        lines = '\n'.join(f'  {k}: checkpoint {a} vs model {b}'
                          for k, a, b in bad)
        raise ValueError(
            f'{checkpoint} does not match the model ({len(bad)} shape '
            f'mismatches):\n{lines}\nCheck arch / in_channels / use_sce '
            f'against the checkpoint (tools/model_converters/'
            f'vheat2rsvheat.py prints the arch it implies).')
    missing, unexpected, allowed = split_key_mismatch(list(own), list(sd))
    if (missing or unexpected) and strict:
        raise ValueError(_mismatch_message(checkpoint, sd, missing,
                                           unexpected))
    if missing or unexpected:
        print_log(f'{checkpoint}: loading with strict=False although '
                  f'{len(missing)} backbone keys are missing (they keep '
                  f'their initialisation): {describe_keys(missing) or "-"}; '
                  f'{len(unexpected)} checkpoint keys are unused: '
                  f'{describe_keys(unexpected) or "-"}', logger='current',
                  level=30)
    new = [k for k in allowed if k in own]
    if new:
        print_log(f'{checkpoint}: {len(new)} backbone keys of parts the '
                  f'checkpoint does not have (output norms, a stem of '
                  f'another modality or the SCE of a plain-vHeat '
                  f'checkpoint) keep their initialisation: '
                  f'{describe_keys(new)}', logger='current', level=30)
    unused = [k for k in allowed if k not in own]
    if unused:
        print_log(f'{checkpoint}: {len(unused)} checkpoint keys of parts '
                  f'this backbone does not have are not used: '
                  f'{describe_keys(unused)}', logger='current', level=30)
    model.load_state_dict(sd, strict=False)


def _mismatch_message(checkpoint: str, sd: Dict[str, Tensor],
                      missing: List[str], unexpected: List[str]) -> str:
    """The error of a strict load whose keys do not match."""
    try:
        hint = (f'The checkpoint implies RSvHeat(**{infer_arch(sd)}) '
                f'(post_norm is not visible in keys). ')
    except (UnknownLayoutError, KeyError, IndexError):
        hint = ('The checkpoint holds no RSvHeat stem weights: is it a '
                'backbone checkpoint (check init_cfg.prefix)? ')
    return (
        f'{checkpoint} does not fit this RSvHeat: {len(missing)} backbone '
        f'keys are missing from it (they would stay random): '
        f'{describe_keys(missing) or "-"}; {len(unexpected)} of its keys '
        f'are not in this backbone: {describe_keys(unexpected) or "-"}. '
        f'{hint}Set arch / in_channels / use_sce to match '
        f'the checkpoint, or, to load only the matching keys on purpose, '
        f"add strict=False: init_cfg=dict(type='Pretrained', "
        f"checkpoint=..., strict=False).")
