"""Fixtures of the RS-DFM tests: one small generated multi-UAV dataset."""
import pytest

from rsvheat_mm.rsdfm.synth import SceneConfig, generate_dataset

#: seed, training and held-out scenes of the session dataset
DATA_SEED, NUM_TRAIN, NUM_VAL = 0, 48, 16
#: narrower views than the default (hfov 36 instead of 40 degrees, closer
#: ring): the best single UAV sees ~53 % of the grid, all together ~72 %
SCENE = dict(hfov=36.0, ring_radius=(15.0, 35.0), look_offset=(14.0, 24.0))


@pytest.fixture(scope='session')
def uav_data(tmp_path_factory):
    """Path of a generated dataset (48 training, 16 held-out scenes)."""
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
