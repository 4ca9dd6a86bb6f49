"""Registration policy: RSvHeat builds from each toolbox's registry."""
import importlib

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import rsvheat_mm
from rsvheat_mm.models.backbones import RSvHeat
from rsvheat_mm.registry import export_to_hosts

TINY = dict(embed_dims=8, depths=[1, 1, 1, 1])
HOSTS = ['mmdet', 'mmseg', 'mmrotate', 'mmpretrain']


@pytest.mark.parametrize('host', HOSTS)
def test_plain_name_builds_in_every_host(host):
    registry = importlib.import_module(f'{host}.registry').MODELS
    with DefaultScope.overwrite_default_scope(host):
        m = registry.build(dict(type='RSvHeat', arch=TINY, img_size=64))
        scoped = registry.build(
            dict(type='rsvheat_mm.RSvHeat', arch=TINY, img_size=64))
    assert type(m) is RSvHeat and type(scoped) is RSvHeat
    assert m(torch.rand(1, 3, 64, 64))[-1].shape == (1, 64, 2, 2)


def test_own_registry_and_custom_imports(tmp_path):
    assert rsvheat_mm.MODELS.get('RSvHeat') is RSvHeat
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(
        "custom_imports = dict(imports=['rsvheat_mm'], "
        "allow_failed_imports=False)\n"
        "default_scope = 'mmseg'\n"
        f"backbone = dict(type='RSvHeat', arch={TINY!r}, img_size=64)\n")
    cfg = Config.fromfile(str(cfg_file))
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        assert isinstance(MODELS.build(cfg.backbone), RSvHeat)


def test_export_never_shadows_a_host_module():
    from mmdet.models.backbones import ResNet

    class ResNet2(torch.nn.Module):
        pass

    with pytest.raises(KeyError, match='will not shadow'):
        export_to_hosts(ResNet2, 'MODELS', ['mmdet'], name='ResNet')
    from mmdet.registry import MODELS
    assert MODELS.get('ResNet') is ResNet


def test_runner_parts_build_quietly_under_rsvheat_mm_scope():
    """Under default_scope='rsvheat_mm' (the RS-DFM configs) mmengine's
    runner parts build without "Failed to search registry with scope"."""
    import logging

    from mmengine.logging import MMLogger
    from mmengine.registry import LOG_PROCESSORS, VISUALIZERS

    import rsvheat_mm.registry as ours
    records = []

    class Grab(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Grab()
    logger.addHandler(handler)
    try:
        with DefaultScope.overwrite_default_scope('rsvheat_mm'):
            vis = VISUALIZERS.build(dict(type='Visualizer',
                                         name='scope_probe_vis'))
            proc = LOG_PROCESSORS.build(dict(type='LogProcessor'))
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if 'Failed to search registry' in r]
    assert type(vis).__name__ == 'Visualizer'
    assert type(proc).__name__ == 'LogProcessor'
    # the children own no modules: every key still comes from mmengine
    assert ours.LOOPS.module_dict == {}
    assert ours.LOOPS.get('IterBasedTrainLoop').__module__.startswith(
        'mmengine.')
