"""Small config adaptations shared by ``tools/train.py`` and ``tools/test.py``."""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


def load_cfg(path: str, launcher: str = 'none',
             cfg_options: Optional[dict] = None,
             work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and settle the work dir.

    The work dir is ``work_dir`` if given, else the config's own, else
    ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return cfg


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


def enable_show_dir(cfg: Config, show_dir: str) -> Config:
    """Turn on the toolbox's visualization hook to paint predictions."""
    hooks = cfg.default_hooks
    vis = hooks.get('visualization', None)
    if vis is None:
        raise KeyError('the config has no default_hooks.visualization; '
                       '--show-dir needs the toolbox visualization hook')
    vis['draw'] = True
    vis['interval'] = 1
    if 'test_out_dir' in vis or vis.get('type') in ('DetVisualizationHook',):
        vis['test_out_dir'] = show_dir
    else:
        vis['show_dir'] = show_dir  # mmseg / mmpretrain naming
    return cfg
