"""Hooks of rsvheat_mm."""
import json
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import all_gather, get_rank, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS, register


@register(HOOKS, hosts=('mmdet', 'mmseg', 'mmrotate', 'mmpretrain'),
          host_registry='HOOKS')
class DistConsistencyHook(Hook):
    """Check that every rank of a distributed run holds the same weights.

    After training (and every ``interval`` iterations if given) each rank
    computes a float64 fingerprint (sum and sum of squares) of every
    parameter; the fingerprints are gathered and compared. Rank 0 writes
    them to ``<work_dir>/rank_fingerprints.json``. A mismatch (a rank that
    skipped a step, an unsynchronised buffer, a missing all-reduce) raises.

    Args:
        interval: Check every ``interval`` training iterations as well.
            Defaults to None (only after training).
        rtol: Relative tolerance of the comparison. Defaults to 1e-6.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: Optional[int] = None,
                 rtol: float = 1e-6) -> None:
        self.interval = interval
        self.rtol = rtol

    def _fingerprint(self, runner) -> torch.Tensor:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        rows = [torch.stack([p.detach().double().sum(),
                             p.detach().double().square().sum()])
                for p in model.parameters()]
        return torch.stack(rows).cpu()

    def _check(self, runner) -> None:
        fp = self._fingerprint(runner)
        prints = all_gather(fp) if get_world_size() > 1 else [fp]
        if is_main_process():
            with open(osp.join(runner.work_dir, 'rank_fingerprints.json'),
                      'w') as f:
                json.dump({'iter': runner.iter,
                           'ranks': [p.tolist() for p in prints]}, f)
        for r, other in enumerate(prints):
            if not torch.allclose(other, prints[0], rtol=self.rtol, atol=0):
                bad = (other - prints[0]).abs().amax(1).argmax().item()
                raise RuntimeError(
                    f'rank {r} weights differ from rank 0 at iteration '
                    f'{runner.iter} (first at parameter #{bad}); this rank is '
                    f'{get_rank()}. Check the distributed setup.')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.interval and self.every_n_train_iters(runner, self.interval):
            self._check(runner)

    def after_train(self, runner) -> None:
        self._check(runner)
