"""Shared fixtures: the real data tiles in ``../shared/data``, and one small
generated RS-DFM multi-UAV dataset."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """``$RSVHEAT_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get('RSVHEAT_SHARED_DATA')
    return Path(env) if env else REPO.parent / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data() -> Path:
    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f'real data tiles not found at {root} (set '
                    f'RSVHEAT_SHARED_DATA or place shared/ beside the repo)')
    return root


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope='module', autouse=True)
def _isolate_module_default_scope():
    """Undo, after each test module, the default scope its module-scoped
    fixtures set (an inferencer or Runner built once per module calls
    ``init_default_scope``); without this the scope leaks into every later
    module and ``MODELS.build`` looks in the wrong toolbox's registry."""
    import copy

    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(autouse=True)
def _module_default_scope(request):
    """Run each test under its module's ``DEFAULT_SCOPE`` (if it sets one).

    mmengine's default scope is process-global: a module-level
    ``init_default_scope`` is overwritten by whichever module is collected
    last, and a test that calls it leaks into the next ones. Declaring
    ``DEFAULT_SCOPE = 'mmseg'`` in a test module scopes it per test instead,
    and whatever scope a test (or a Runner in it) sets is undone after it.
    """
    import copy

    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    scope = getattr(request.module, 'DEFAULT_SCOPE', None)
    try:
        with DefaultScope.overwrite_default_scope(scope):
            yield
    finally:  # runners and init_default_scope calls must not leak
        DefaultScope._instance_dict = saved


# RS-DFM: one small generated multi-UAV dataset and tiny model configs
#: seed, training and held-out scenes of the session dataset
DATA_SEED, NUM_TRAIN, NUM_VAL = 0, 48, 16
#: narrower views than the default (hfov 36 instead of 40 degrees, closer
#: ring): the best single UAV sees ~53 % of the grid, all together ~72 %
SCENE = dict(hfov=36.0, ring_radius=(15.0, 35.0), look_offset=(14.0, 24.0))


@pytest.fixture(scope='session')
def uav_data(tmp_path_factory):
    """Path of a generated dataset (48 training, 16 held-out scenes)."""
    from rsvheat_mm.datasets.synthetic_multi_uav import (SceneConfig,
                                                         generate_dataset)
    root = tmp_path_factory.mktemp('rsdfm_synth')
    generate_dataset(str(root), NUM_TRAIN, NUM_VAL, seed=DATA_SEED,
                     cfg=SceneConfig(**SCENE))
    return root


def _tiny_model_cfg(**overrides) -> dict:
    cfg = dict(
        type='CollabBEVModel',
        backbone=dict(type='RSvHeat', arch=dict(embed_dims=8, depths=[1, 1]),
                      out_indices=(0, 1), img_size=64),
        neck_channels=16,
        view_transformer=dict(out_channels=8, lift_upsample=1),
        codec=dict(budget=0.25),
        seg_head=dict(class_weight=(0.2, 1.0, 1.0)),
        det_head=None)
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope='session')
def tiny_model_cfg():
    """Factory of CPU-sized CollabBEVModel configs (embed_dims 8, 2 stages,
    8 BEV channels, no upsampling before the lift, budget 1/4, no
    detection head); keyword arguments override keys."""
    return _tiny_model_cfg
