"""Turn a pretraining checkpoint into a plain encoder state dict.

Downstream configs can load the mmengine checkpoint of
:class:`~.algorithm.RSvHeatPretrainer` directly::

    backbone=dict(type='rsvheat_mm.RSvHeat', ...,
                  init_cfg=dict(type='Pretrained', checkpoint='epoch_200.pth',
                                prefix='backbone.'))

``RSvHeat.init_weights`` keeps the ``backbone.*`` keys and logs the dropped
decoder / head keys. :func:`extract_backbone` is the documented equivalent
for shipping weights: it writes only the encoder as a plain tensor state
dict (loads under ``torch.load(weights_only=True)``, no optimizer state),
loadable with ``prefix=None``.
"""
from pathlib import Path
from typing import Dict, List, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import Tensor

from ...utils.safe_load import load_checkpoint_file

__all__ = ['extract_backbone']


def extract_backbone(src: Union[str, Path], dst: Union[str, Path, None] = None,
                     prefix: str = 'backbone.'
                     ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Keep the ``prefix`` keys of a checkpoint, stripped of the prefix.

    Args:
        src: Pretraining checkpoint (mmengine ``{'state_dict': ...}`` or a
            bare state dict).
        dst: Where to save the encoder state dict; None only returns it.
            Defaults to None.
        prefix: Encoder prefix. Defaults to 'backbone.'.

    Returns:
        ``(state_dict, dropped_keys)``; the dropped keys are also logged.
    """
    obj = load_checkpoint_file(src)
    sd = obj.get('state_dict', obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict):
        raise ValueError(f'{src}: not a state dict or an mmengine checkpoint')
    enc = {k[len(prefix):]: v for k, v in sd.items()
           if k.startswith(prefix) and isinstance(v, Tensor)}
    if not enc:
        heads = sorted({k.split('.')[0] + '.' for k in sd})
        raise ValueError(f'{src}: no key starts with {prefix!r}; top-level '
                         f'prefixes: {heads}. Pass the encoder prefix.')
    dropped = [k for k in sd if not k.startswith(prefix)]
    if dropped:
        groups = sorted({k.split('.')[0] for k in dropped})
        print_log(f'{src}: dropped {len(dropped)} non-encoder keys '
                  f'({", ".join(groups)}); kept {len(enc)} encoder keys.',
                  logger='current')
    if dst is not None:
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        torch.save(enc, str(dst))
    return enc, dropped
