"""Config adaptations and user-facing checks shared by the tools
(``tools/train.py``, ``tools/test.py``, ``tools/det_submission.py``, ...).

Everything here turns a raw upstream failure a user cannot act on into a
:class:`ToolInputError` that names the file or setting and the fix, before
(or instead of) the traceback; :func:`user_errors` prints it as one line.
"""
import contextlib
import logging
import numbers
import os
import os.path as osp
import re
import sys
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from ..utils.safe_load import (INCOMPLETE, CheckpointFileError,
                               diagnose_checkpoint, intact_checkpoints)

#: where the weights guide lives (repository-relative)
WEIGHTS_DOC = 'docs/weights.md'


class ToolInputError(ValueError):
    """Bad input to a tool; the message names it and the fix."""


# ---------------------------------------------------------------- warnings
#: third-party deprecation warnings (message regex, category) a user of the
#: tools can do nothing about: pkg_resources imported (and reloaded) by
#: mmengine's ``is_installed``, mmseg calling its own deprecated
#: ``build_loss``, and mmengine's AMP wrapper using ``torch.cuda.amp``'s
#: deprecated API. Anything else still shows.
KNOWN_THIRD_PARTY_WARNINGS: Tuple[Tuple[str, type], ...] = (
    (r'pkg_resources is deprecated as an API', UserWarning),
    (r'Deprecated call to `pkg_resources\.declare_namespace', Warning),
    (r'``build_loss`` would be deprecated soon', UserWarning),
    (r'`torch\.cuda\.amp\.\w+\(args\.\.\.\)` is deprecated', FutureWarning),
)


def silence_known_warnings() -> None:
    """Filter :data:`KNOWN_THIRD_PARTY_WARNINGS` (and nothing else).

    Call it first thing in a tool's ``main``; idempotent.
    """
    for pattern, category in KNOWN_THIRD_PARTY_WARNINGS:
        warnings.filterwarnings('ignore', message=pattern, category=category)


# ------------------------------------------------------------------ config
def check_work_dir(work_dir: str) -> None:
    """Refuse a work dir that is (or lies under) an existing file.

    Raises:
        ToolInputError: naming the file and the fix.
    """
    path = osp.abspath(work_dir)
    probe = path
    while probe and not osp.exists(probe):
        parent = osp.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if osp.exists(probe) and not osp.isdir(probe):
        where = ('is a file' if probe == path else
                 f'lies under {probe}, which is a file')
        raise ToolInputError(
            f'--work-dir {work_dir} {where}, not a folder. Give a folder '
            f'path (it is created when missing), e.g. --work-dir '
            f'{osp.join(osp.dirname(probe) or ".", "work_dirs", "run")}.')


def load_cfg(path: str, launcher: str = 'none',
             cfg_options: Optional[dict] = None,
             work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and settle the work dir.

    The work dir is ``work_dir`` if given, else the config's own, else
    ``./work_dirs/<config name>``; it must not be a file. Relative output
    folders of the evaluators go under it (:func:`rebase_evaluator_outputs`).

    Raises:
        ToolInputError: the config file is missing or the work dir is a
            file.
    """
    if not osp.isfile(path):
        raise ToolInputError(
            f'config {path} not found. Configs live in configs/<task>/ of '
            f'the rsvheat_mm repository (`mim train rsvheat_mm NAME.py` '
            f'finds them by name).')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    check_work_dir(cfg.work_dir)
    rebase_evaluator_outputs(cfg)
    return cfg


#: evaluator arguments that name an output file or folder
EVALUATOR_OUTPUT_KEYS = ('out_dir', 'outfile_prefix', 'output_dir',
                         'out_file_path')


def rebase_evaluator_outputs(cfg: Config) -> List[str]:
    """Put the config's relative evaluator outputs under the work dir.

    A config's ``test_evaluator=dict(..., out_dir='dota_submission')`` (or
    ``outfile_prefix`` / ``output_dir`` / ``out_file_path``) would otherwise
    be written relative to the current folder; with this, a run writes only
    into its work dir. Absolute paths are left alone. Returns the new
    paths.
    """
    moved = []
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key, None)
        if evaluators is None:
            continue
        if isinstance(evaluators, dict) and 'metrics' in evaluators:
            evaluators = evaluators['metrics']
        for ev in (evaluators if isinstance(evaluators, (list, tuple))
                   else [evaluators]):
            if not isinstance(ev, dict):
                continue
            for name in EVALUATOR_OUTPUT_KEYS:
                value = ev.get(name, None)
                if isinstance(value, str) and value and not osp.isabs(
                        value) and '://' not in value:
                    ev[name] = osp.join(cfg.work_dir, osp.normpath(value))
                    moved.append(ev[name])
    return moved


def adapt_distributed_cfg(cfg: Config) -> Config:
    """Make a distributed launch work without CUDA.

    With ``launcher != 'none'`` and no CUDA device the processes must use
    the gloo backend and a CPU ``MMDistributedDataParallel`` (no
    ``device_ids``). With CUDA nothing changes.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return cfg
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg', None) or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not torch.distributed.is_initialized() and 'RANK' in os.environ:
        torch.distributed.init_process_group(backend='gloo')
    return cfg


def amp_device_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (it needs a
    CUDA, NPU, MLU or MUSA device)."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_musa_available, is_npu_available)
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


def apply_amp(cfg: Config, requested: bool) -> Config:
    """Turn on mixed precision (``--amp``) and check the device for it.

    Args:
        cfg: The config.
        requested: Whether ``--amp`` was given.

    Raises:
        ToolInputError: mixed precision is asked for (by ``--amp`` or by the
            config's ``AmpOptimWrapper``) on a machine without a GPU.
    """
    wrapper = cfg.get('optim_wrapper', None)
    in_cfg = (wrapper is not None and str(wrapper.get(
        'type', 'OptimWrapper')).split('.')[-1] == 'AmpOptimWrapper')
    if (requested or in_cfg) and not amp_device_available():
        source = '--amp' if requested else (
            'the config (optim_wrapper.type=AmpOptimWrapper)')
        raise ToolInputError(
            f'{source} asks for mixed-precision training, which is GPU-only: '
            f"mmengine's AmpOptimWrapper runs on a CUDA (or NPU / MLU / "
            f'MUSA) device and this machine has none. Train in float32 on '
            f'the CPU: ' + ('drop --amp.' if requested else
                            '--cfg-options optim_wrapper.type=OptimWrapper'))
    if requested:
        if in_cfg:
            print('AMP is already enabled in the config.')
        elif wrapper is not None:
            wrapper.type = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
    return cfg


# ------------------------------------------------------ weights and inits
def _is_local(path: Any) -> bool:
    return isinstance(path, str) and '://' not in path


def pretrained_checkpoints(cfg_model: Any, key: str = 'model'
                           ) -> Iterator[Tuple[str, str]]:
    """``(key path, checkpoint)`` of every ``init_cfg=Pretrained`` below
    ``cfg_model``, e.g. ``('model.backbone', 'work_dirs/x.pth')``."""
    if isinstance(cfg_model, dict):
        inits = cfg_model.get('init_cfg')
        for init in (inits if isinstance(inits, (list, tuple)) else [inits]):
            if isinstance(init, dict) and str(init.get('type', '')).split(
                    '.')[-1] == 'Pretrained' and init.get('checkpoint'):
                yield key, init['checkpoint']
        for k, v in cfg_model.items():
            if k != 'init_cfg':
                yield from pretrained_checkpoints(v, f'{key}.{k}')
    elif isinstance(cfg_model, (list, tuple)):
        for i, v in enumerate(cfg_model):
            yield from pretrained_checkpoints(v, f'{key}[{i}]')


def check_pretrained(cfg: Config, config_path: str) -> List[str]:
    """Refuse missing or unreadable ``init_cfg=Pretrained`` checkpoints
    before anything is built; returns the checked files.

    Raises:
        ToolInputError: naming the config key, the file, docs/weights.md
            and the ``--cfg-options`` that trains from scratch instead.
    """
    checked = []
    for key, ckpt in pretrained_checkpoints(cfg.get('model', None)):
        if not _is_local(ckpt):
            continue
        problem = diagnose_checkpoint(ckpt)
        if problem is None:
            checked.append(ckpt)
            continue
        if not osp.exists(ckpt):
            problem = (f'{key}.init_cfg.checkpoint={ckpt!r} does not exist'
                       + ('' if osp.isabs(ckpt) else
                          f' (relative to the current folder {os.getcwd()})'))
        raise ToolInputError(
            f'{config_path}: {problem}. This config starts from pretrained '
            f'weights that are not shipped with rsvheat_mm: {WEIGHTS_DOC} '
            f'says where the official vHeat weights are, how to convert them '
            f'and which init_cfg line to set. To train from random weights '
            f'instead: --cfg-options {key}.init_cfg=None')
    return checked


def check_checkpoint_arg(path: Optional[str], what: str) -> None:
    """Refuse a missing, empty, truncated or foreign checkpoint given as
    ``what`` (e.g. ``'CHECKPOINT'``, ``'--resume'``, ``'load_from'``).

    Raises:
        ToolInputError: naming the file and the problem.
    """
    if path is None or not _is_local(path):
        return
    problem = diagnose_checkpoint(path)
    if problem is not None:
        raise ToolInputError(f'{what}: {problem}.')


def note_from_scratch(cfg: Config) -> bool:
    """Log once that an RSvHeat backbone starts from random weights (no
    ``init_cfg=Pretrained``, no ``load_from``, no resume); returns whether
    it did. Self-supervised pretraining (which starts from scratch by
    design) is left out."""
    model = cfg.get('model', None) or {}
    backbone = model.get('backbone', None) if isinstance(model, dict) else None
    if not isinstance(backbone, dict) or 'RSvHeat' not in str(
            backbone.get('type', '')):
        return False
    if cfg.get('load_from', None) or cfg.get('resume', False):
        return False
    if any(True for _ in pretrained_checkpoints(backbone)):
        return False
    if 'Pretrainer' in str(model.get('type', '')) or 'SelfSup' in str(
            model.get('type', '')):
        return False
    from mmengine.logging import print_log
    print_log(
        'model.backbone (RSvHeat) has no pretrained weights (init_cfg is '
        'None, no load_from): training starts from random weights. '
        f'Pretrained vHeat weights and the init_cfg line that loads them: '
        f'{WEIGHTS_DOC}.', logger='current', level=logging.WARNING)
    return True


# ------------------------------------------------------------- test tools
def _hook_class(hook: dict, scope: Optional[str]):
    """The class a ``default_hooks`` entry builds (None if unknown)."""
    from mmengine.registry import HOOKS, DefaultScope
    with DefaultScope.overwrite_default_scope(scope):
        with HOOKS.switch_scope_and_registry(None) as registry:
            try:
                return registry.get(hook['type'])
            except Exception:  # noqa: BLE001 - reported by the caller
                return None


def enable_show_dir(cfg: Config, show_dir: str) -> Config:
    """Make the toolbox's visualization hook paint every test prediction
    into ``show_dir`` (an absolute path; nothing else goes there).

    Handles the three hook families: mmdet / mmrotate
    (``DetVisualizationHook(test_out_dir)``), mmpretrain
    (``VisualizationHook(enable, out_dir)``) and mmseg
    (``SegVisualizationHook(draw)``, which draws through the visualizer's
    ``LocalVisBackend``: its image folder is pointed at ``show_dir``).

    Raises:
        ToolInputError: the config has no visualization hook.
    """
    show_dir = osp.abspath(show_dir)
    hooks = cfg.get('default_hooks', None) or {}
    vis = hooks.get('visualization', None)
    cls = _hook_class(vis, cfg.get('default_scope', None)) if vis else None
    if cls is None:
        raise ToolInputError(
            f'{cfg.filename}: --show-dir needs the toolbox\'s visualization '
            f'hook (default_hooks.visualization), which this config has '
            f'not{"" if not vis else " (" + str(vis.get("type")) + " is unknown)"}. '
            f'RS-DFM scenes are drawn by tools/rsdfm/report.py --pictures N; '
            f'segmentation and change-detection predictions also by '
            f'tools/visualize_predictions.py.')
    import inspect
    params = inspect.signature(cls.__init__).parameters
    vis['interval'] = 1
    if 'test_out_dir' in params:  # mmdet / mmrotate
        vis.update(draw=True, test_out_dir=show_dir)
    elif 'enable' in params and 'out_dir' in params:  # mmpretrain
        vis.update(enable=True, out_dir=show_dir)
    elif 'draw' in params:  # mmseg: the visualizer's backends save
        vis['draw'] = True
        visualizer = cfg.get('visualizer', None)
        if visualizer is None:
            raise ToolInputError(f'{cfg.filename}: --show-dir needs a '
                                 f'visualizer in the config')
        backends = list(visualizer.get('vis_backends', None) or [])
        local = [b for b in backends
                 if str(b.get('type', '')).split('.')[-1] == 'LocalVisBackend']
        if not local:
            local = [dict(type='LocalVisBackend')]
            backends += local
        for b in local:
            b['img_save_dir'] = show_dir  # absolute: joined as is
        visualizer['vis_backends'] = backends
    else:
        raise ToolInputError(
            f'{cfg.filename}: the visualization hook {vis["type"]} takes no '
            f'output folder; --show-dir cannot use it')
    return cfg


def summarize_metrics(metrics: Dict[str, Any]) -> Dict[str, float]:
    """The scalar entries of a metrics dict as Python floats (numpy and
    torch scalars included; per-class arrays and strings left out)."""
    out = {}
    for k, v in (metrics or {}).items():
        if isinstance(v, (torch.Tensor, np.ndarray)) and v.ndim == 0:
            v = v.item()
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            out[k] = float(v)
    return out


def format_metrics(summary: Dict[str, float]) -> str:
    """One line per metric, names aligned, 4 decimals; NaN (a 0/0 score,
    e.g. precision with nothing predicted) reads ``undefined``."""
    if not summary:
        return 'no scalar metrics'
    width = max(len(k) for k in summary)
    return '\n'.join(
        f'{k:<{width}}  {"undefined" if np.isnan(v) else f"{v:.4f}"}'
        for k, v in summary.items())


# ------------------------------------------------------------ raw errors
def _dataset_in_traceback(tb) -> Optional[Any]:
    from mmengine.dataset import BaseDataset
    found = None
    while tb is not None:
        obj = tb.tb_frame.f_locals.get('self', None)
        if isinstance(obj, BaseDataset):
            found = obj
        tb = tb.tb_next
    return found


def _empty_dataset_message(ds: Any) -> str:
    if ds is None:
        return ('a dataset of the config has no samples (mmengine: "need at '
                'least one array to concatenate"): its folder is empty or '
                'its files do not match the expected layout')
    where = ', '.join(f'{k}={v!r}' for k, v in (
        ('data_root', getattr(ds, 'data_root', None)),
        ('ann_file', getattr(ds, 'ann_file', None)),
        ('data_prefix', getattr(ds, 'data_prefix', None))) if v)
    return (f'the {type(ds).__name__} ({where}) has no samples: the folder '
            f'is empty, its files do not match the expected names and '
            f'suffixes, or every sample was filtered out (filter_cfg). The '
            f'task guide in docs/ lists the expected layout and the command '
            f'that prepares it.')


def _resume_hint(err: CheckpointFileError) -> str:
    """For a checkpoint cut short: the newest intact runner checkpoint
    (``iter_N.pth`` / ``epoch_N.pth``) beside it."""
    path = getattr(err, 'path', None)
    if path is None or getattr(err, 'kind', None) not in INCOMPLETE:
        return ''
    others = [p for p in intact_checkpoints(osp.dirname(osp.abspath(path)),
                                            exclude=path)
              if re.fullmatch(r'(iter|epoch)_\d+\.pth', p.name)]
    if others:
        return (f'\nResume from an earlier checkpoint instead: --resume '
                f'{others[0]}' + (f' (intact ones: '
                                  f'{", ".join(p.name for p in others[:5])})'
                                  if len(others) > 1 else ''))
    return (f'\nNo other intact checkpoint lies in {osp.dirname(path)}: '
            f'train again without --resume.')


@contextlib.contextmanager
def user_errors(resume: bool = False) -> Iterator[None]:
    """Turn the known bad-input failures into one clear line and exit 1.

    Catches :class:`ToolInputError`, :class:`CheckpointFileError` (with the
    earlier intact checkpoint to resume from when ``resume``) and
    mmengine's "need at least one array to concatenate" (an empty dataset,
    named with its folders).
    """
    try:
        yield
    except ToolInputError as e:
        raise SystemExit(f'error: {e}') from None
    except CheckpointFileError as e:
        raise SystemExit(f'error: {e}' + (_resume_hint(e) if resume else '')
                         ) from None
    except ValueError as e:
        if 'need at least one array to concatenate' not in str(e):
            raise
        raise SystemExit(
            'error: ' + _empty_dataset_message(
                _dataset_in_traceback(e.__traceback__))) from None


def run_tool(fn: Callable[[Any], Any], args: Any, resume: bool = False
             ) -> Any:
    """A tool's ``main``: :func:`silence_known_warnings`, then ``fn(args)``
    under :func:`user_errors` (bad input -> one line, exit 1)."""
    silence_known_warnings()
    with user_errors(resume=resume):
        return fn(args)


def save_figure(fig: Any, path: str, dpi: int = 100) -> str:
    """Save a matplotlib figure under a temporary name in the same folder
    and rename it when complete (no half-written picture is left); closes
    the figure. Returns ``path``."""
    import matplotlib.pyplot as plt
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.part.png')
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
        plt.close(fig)
    return path


def print_summary(metrics: Dict[str, Any], title: str = 'test') -> None:
    """Print :func:`format_metrics` of ``metrics`` under ``title``."""
    summary = summarize_metrics(metrics)
    print(f'{title} metrics:\n' + format_metrics(summary), file=sys.stdout)

