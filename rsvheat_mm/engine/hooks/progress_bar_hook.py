"""A progress bar over the test (or validation) loop.

mmengine logs ``Iter(test) [k/N]`` only every ``LoggerHook.interval``
iterations (50 in the detection runtimes), so a long inference run looks
stuck. This hook draws mmengine's ``ProgressBar`` (done / total, rate,
elapsed and remaining time) on the main process, one tick per image.
"""
import sys
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from ...registry import HOOKS, register

__all__ = ['ProgressBarHook']


@register(HOOKS)
class ProgressBarHook(Hook):
    """Show a progress bar while testing (and, optionally, validating).

    Args:
        val: Also draw it during validation. Defaults to False.
        bar_width: Width of the bar in characters. Defaults to 40.
    """

    priority = 'VERY_LOW'

    def __init__(self, val: bool = False, bar_width: int = 40) -> None:
        self.val = val
        self.bar_width = bar_width
        self._bar: Optional[ProgressBar] = None

    def _start(self, dataloader) -> None:
        self._bar = None
        if is_main_process():
            total = len(dataloader.dataset)
            self._bar = ProgressBar(total, bar_width=self.bar_width,
                                    file=sys.stdout)

    def _tick(self, outputs: Optional[Sequence]) -> None:
        if self._bar is not None:
            self._bar.update(max(len(outputs or ()), 1))

    def _end(self) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
        self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start(runner.test_dataloader)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        self._tick(outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._end()

    def before_val_epoch(self, runner) -> None:
        if self.val:
            self._start(runner.val_dataloader)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if self.val:
            self._tick(outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self.val:
            self._end()
