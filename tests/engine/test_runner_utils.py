"""The runner helpers behind the tools' messages and options."""
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config

from rsvheat_mm.engine.hooks import ProgressBarHook
from rsvheat_mm.engine.runner_utils import (KNOWN_THIRD_PARTY_WARNINGS,
                                            ToolInputError, check_work_dir,
                                            enable_show_dir, format_metrics,
                                            note_from_scratch,
                                            pretrained_checkpoints,
                                            silence_known_warnings,
                                            summarize_metrics)


def test_summary_takes_numpy_and_torch_scalars():
    metrics = {'mIoU': np.float32(41.5), 'aAcc': np.float64(80.25),
               'n': 3, 'loss': torch.tensor(0.5), 'flag': True,
               'per_class': np.array([1., 2.]), 'name': 'x'}
    out = summarize_metrics(metrics)
    assert out == {'mIoU': 41.5, 'aAcc': 80.25, 'n': 3.0, 'loss': 0.5}
    assert all(type(v) is float for v in out.values())


def test_format_marks_undefined_scores():
    text = format_metrics({'precision': float('nan'), 'F1': 0.0})
    assert text.splitlines() == ['precision  undefined', 'F1         0.0000']


def _cfg(hook, scope, **extra):
    return Config(dict(default_scope=scope,
                       default_hooks=dict(visualization=hook), **extra),
                  cfg_text='# x.py', filename='x.py')


def test_show_dir_per_hook_family(tmp_path):
    show = tmp_path / 'show'
    det = enable_show_dir(_cfg(dict(type='DetVisualizationHook'), 'mmdet'),
                          str(show))
    assert det.default_hooks.visualization == dict(
        type='DetVisualizationHook', draw=True, interval=1,
        test_out_dir=str(show))
    cls = enable_show_dir(_cfg(dict(type='VisualizationHook', enable=False),
                               'mmpretrain'), str(show))
    assert cls.default_hooks.visualization.enable is True
    assert cls.default_hooks.visualization.out_dir == str(show)
    seg = enable_show_dir(_cfg(
        dict(type='SegVisualizationHook'), 'mmseg',
        visualizer=dict(type='SegLocalVisualizer',
                        vis_backends=[dict(type='LocalVisBackend')])),
        str(show))
    assert seg.default_hooks.visualization.draw is True
    assert 'show_dir' not in seg.default_hooks.visualization  # mmseg has none
    assert seg.visualizer.vis_backends == [
        dict(type='LocalVisBackend', img_save_dir=str(show))]
    with pytest.raises(ToolInputError, match='visualization hook'):
        enable_show_dir(Config(dict(default_hooks={}), cfg_text='# y.py',
                               filename='y.py'), str(show))


def test_work_dir_checks(tmp_path):
    check_work_dir(str(tmp_path / 'new' / 'deeper'))  # missing is fine
    f = tmp_path / 'f'
    f.write_text('')
    with pytest.raises(ToolInputError, match='is a file, not a folder'):
        check_work_dir(str(f))
    with pytest.raises(ToolInputError, match='which is a file'):
        check_work_dir(str(f / 'x' / 'y'))


def test_known_warnings_silenced_and_others_kept():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        silence_known_warnings()
        warnings.warn('pkg_resources is deprecated as an API. See ...',
                      UserWarning)
        warnings.warn('``build_loss`` would be deprecated soon, please use',
                      UserWarning)
        warnings.warn('the labels look odd', UserWarning)
        warnings.warn('pkg_resources is deprecated as an API',
                      RuntimeWarning)  # another category: kept
    texts = [str(w.message) for w in seen]
    assert texts == ['the labels look odd',
                     'pkg_resources is deprecated as an API']
    assert len(KNOWN_THIRD_PARTY_WARNINGS) == 4


def test_pretrained_walk_and_from_scratch_note(capsys):
    model = dict(type='EncoderDecoder', backbone=dict(
        type='RSvHeat', init_cfg=None), decode_head=dict(init_cfg=[
            dict(type='Normal'), dict(type='Pretrained', checkpoint='h.pth')]))
    assert list(pretrained_checkpoints(model)) == [
        ('model.decode_head', 'h.pth')]
    import logging

    from mmengine.logging import MMLogger
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        assert note_from_scratch(Config(dict(model=model))) is True
    finally:
        logger.removeHandler(handler)
    assert any('training starts from random weights' in m and
               'docs/weights.md' in m for m in seen)
    model['backbone']['init_cfg'] = dict(type='Pretrained',
                                         checkpoint='b.pth')
    assert note_from_scratch(Config(dict(model=model))) is False
    model['backbone']['init_cfg'] = None
    assert note_from_scratch(Config(dict(model=model,
                                         load_from='x.pth'))) is False


def test_progress_bar_counts_test_images(capsys):
    class Loader:
        dataset = list(range(5))

    class Runner:
        test_dataloader = Loader()

    hook = ProgressBarHook(bar_width=10)
    hook.before_test_epoch(Runner())
    for i in range(3):
        hook.after_test_iter(Runner(), i, outputs=[0] if i < 2 else [0, 0, 0])
    hook.after_test_epoch(Runner())
    out = capsys.readouterr().out
    assert '5/5' in out


@pytest.mark.parametrize('name,folder', [
    ('oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py', 'dota_submission'),
    ('oriented-rcnn-le90_rsvheat-b_fpn_1x_fair1m.py', 'fair1m_submission')])
def test_submission_folder_of_rotated_configs_lies_in_the_work_dir(
        name, folder, tmp_path, repo_root):
    """tools/test.py --work-dir W writes the leaderboard files to
    W/<folder>, not into the current folder."""
    pytest.importorskip('mmrotate')
    from rsvheat_mm.engine.runner_utils import load_cfg
    cfg = load_cfg(str(repo_root / 'configs' / 'oriented_rcnn' / name),
                   work_dir=str(tmp_path / 'w'))
    assert cfg.test_evaluator.out_dir == str(tmp_path / 'w' / folder)
    # an absolute folder is kept as given
    cfg = load_cfg(str(repo_root / 'configs' / 'oriented_rcnn' / name),
                   cfg_options={'test_evaluator.out_dir': str(tmp_path)},
                   work_dir=str(tmp_path / 'w'))
    assert cfg.test_evaluator.out_dir == str(tmp_path)
