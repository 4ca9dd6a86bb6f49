"""Save, next to every training checkpoint, its weights as plain tensors.

mmengine 0.10.7 checkpoints also hold the message hub, whose
``HistoryBuffer`` pickles bound methods (``GLOBAL getattr``). torch >= 2.6
refuses them under ``torch.load(weights_only=True)`` -- which is how
``RSvHeat``'s ``init_cfg=dict(type='Pretrained', ...)`` loads -- and
allow-listing ``getattr`` would make ``weights_only`` unsafe. This hook
writes ``weights_<epoch|iter>_<n>.pth`` = ``{'state_dict': model weights}``
(tensors only) beside ``epoch_<n>.pth`` / ``iter_<n>.pth``; downstream
configs load it with ``prefix='backbone.'`` (decoder and heads are dropped
with a log message).
"""
import os.path as osp

import torch
from mmengine.hooks import Hook

from ...registry import HOOKS, register

__all__ = ['PlainWeightsHook']


@register(HOOKS, hosts=('mmpretrain', ))
class PlainWeightsHook(Hook):
    """Write a tensors-only copy of each checkpoint's ``state_dict``.

    Args:
        prefix: File name prefix. Defaults to 'weights'.
    """

    priority = 'VERY_LOW'

    def __init__(self, prefix: str = 'weights') -> None:
        self.prefix = prefix

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        by_epoch = hasattr(runner.train_loop, 'max_epochs') and \
            runner.train_loop.__class__.__name__.startswith('Epoch')
        unit = 'epoch' if by_epoch else 'iter'
        n = meta.get(unit, runner.epoch if by_epoch else runner.iter)
        path = osp.join(runner.work_dir, f'{self.prefix}_{unit}_{n}.pth')
        sd = {k: v.detach().cpu() for k, v in
              checkpoint['state_dict'].items() if torch.is_tensor(v)}
        torch.save({'state_dict': sd}, path)
        runner.logger.info(f'Saved plain weights (loadable with '
                           f'weights_only=True) to {path}')
