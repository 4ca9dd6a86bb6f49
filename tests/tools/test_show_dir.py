"""``tools/test.py CONFIG CKPT --show-dir DIR`` paints every test image for
each task kind (mmseg, change detection, mmdet, mmrotate, mmpretrain), the
summary lists the metric values, and ``tools/visualize_predictions.py``
draws change detection too. Tiny models with random weights: what is
checked is that the pictures are made, not what they show."""
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from tool_helpers import (REPO, save_model_checkpoint, tree, write_cd_cfg,
                          write_seg_cfg)

sys.path.insert(0, str(REPO / 'tools'))
sys.path.insert(0, str(REPO / 'tests'))
import test as test_tool  # noqa: E402
import visualize_predictions  # noqa: E402


def _pngs(folder):
    """The painted images (mmdet keeps the input's suffix, e.g. .jpg)."""
    return sorted(p for p in folder.rglob('*')
                  if p.suffix.lower() in ('.png', '.jpg'))


def _test_with_show_dir(cfg, ckpt, tmp_path, capsys):
    cwd_before = tree(tmp_path)
    show = tmp_path / 'show'
    # one process runs several tests: a fresh visualizer each (mmengine
    # hands out an existing instance of the same name, with its old folder)
    metrics = test_tool.main([str(cfg), str(ckpt), '--work-dir',
                              str(tmp_path / 'w'), '--show-dir', str(show),
                              '--cfg-options',
                              f'visualizer.name=vis_{tmp_path.name}'])
    out = capsys.readouterr().out
    new = tree(tmp_path) - cwd_before
    # everything new lies in the two given folders (and the generated
    # synthetic tiles of the seg config's data root)
    assert all(p.split('/')[0] in ('w', 'show', 'data') for p in new), new
    return metrics, out, _pngs(show)


def test_seg_show_dir_and_summary_values(tmp_path, capsys):
    cfg = write_seg_cfg(tmp_path / 'cfg.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cfg, tmp_path / 'm.pth', 'mmseg')
    metrics, out, pngs = _test_with_show_dir(cfg, ckpt, tmp_path, capsys)
    assert len(pngs) == 2  # the two test tiles
    assert isinstance(metrics['mIoU'], np.floating)  # why {} was printed
    summary = dict(line.split() for line in
                   out.split('test metrics:', 1)[1].splitlines()
                   if line.strip() and not line.startswith('painted'))
    assert float(summary['mIoU']) == pytest.approx(float(metrics['mIoU']),
                                                   abs=1e-4)
    assert {'aAcc', 'mFscore'} <= set(summary)


@pytest.fixture
def cd_cfg(shared_data, tmp_path):
    cfg = write_cd_cfg(tmp_path / 'cd.py', shared_data / 'levir_cd')
    return cfg, save_model_checkpoint(cfg, tmp_path / 'cd.pth', 'mmseg')


def test_change_detection_show_dir(cd_cfg, tmp_path, capsys):
    cfg, ckpt = cd_cfg
    _, out, pngs = _test_with_show_dir(cfg, ckpt, tmp_path, capsys)
    assert len(pngs) == 4  # the four shared LEVIR-CD pairs
    assert 'F1' in out.split('test metrics:', 1)[1]


def test_change_detection_prediction_grid(cd_cfg, tmp_path, capsys):
    cfg, ckpt = cd_cfg
    out = tmp_path / 'grid.png'
    res = visualize_predictions.main([str(cfg), str(ckpt), '--out', str(out),
                                      '--num', '2'])
    assert res['titles'] == ['before (A)', 'after (B)', 'ground truth',
                             'prediction']
    assert len(res['accuracy']) == 2
    w, h = Image.open(out).size
    assert w > h  # four columns, two rows
    assert 'legend: unchanged, changed' in capsys.readouterr().out


def test_seg_prediction_grid_has_titles_and_legend(tmp_path):
    cfg = write_seg_cfg(tmp_path / 'cfg.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cfg, tmp_path / 'm.pth', 'mmseg')
    import matplotlib.pyplot as plt
    seen = {}
    real_legend = plt.Figure.legend

    def spy(fig, *args, **kwargs):
        seen['labels'] = [h.get_label() for h in kwargs['handles']]
        return real_legend(fig, *args, **kwargs)

    plt.Figure.legend = spy
    try:
        res = visualize_predictions.main([str(cfg), str(ckpt), '--out',
                                          str(tmp_path / 'p.png')])
    finally:
        plt.Figure.legend = real_legend
    assert res['titles'] == ['image', 'ground truth', 'prediction']
    assert seen['labels'] == ['ground', 'building', 'road', 'water',
                              'vegetation']


def _det_cfg(name, shared_data, tmp_path):
    from det_helpers import (CONFIGS, dataset_cfgs, runner_cfg,
                             shrink_model)
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    shrink_model(cfg.model)
    train, test = dataset_cfgs(name, cfg, shared_data, tmp_path, size=256)
    runner_cfg(cfg, train, test, tmp_path / 'w', evaluator=cfg.test_evaluator)
    path = tmp_path / f'{name}.py'
    cfg.dump(str(path))
    return path


@pytest.mark.parametrize('name,scope', [('dior', 'mmdet'),
                                        ('dota', 'mmrotate')])
def test_detection_show_dir(name, scope, shared_data, tmp_path, capsys):
    pytest.importorskip(scope)
    cfg = _det_cfg(name, shared_data, tmp_path)
    ckpt = save_model_checkpoint(cfg, tmp_path / 'm.pth', scope)
    _, out, pngs = _test_with_show_dir(cfg, ckpt, tmp_path, capsys)
    assert len(pngs) == 1
    assert Image.open(pngs[0]).size[0] > 100


def test_classification_show_dir(tmp_path, capsys):
    pytest.importorskip('mmpretrain')
    rng = np.random.default_rng(0)
    for cls in ('farmland', 'harbor'):
        (tmp_path / 'cls' / cls).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(rng.integers(0, 255, (72, 72, 3), np.uint8)).save(
                tmp_path / 'cls' / cls / f'{cls}_{i}.png')
    src = sorted((REPO / 'configs' / 'classification').glob('*aid*.py'))[0]
    cfg = Config.fromfile(str(src))
    cfg.model.backbone.update(arch=dict(embed_dims=8, depths=[1, 1, 1, 1]),
                              img_size=64, init_cfg=None)
    cfg.model.head.update(in_channels=64, num_classes=2)
    cfg.model.data_preprocessor = dict(num_classes=2)
    pipe = [dict(type='LoadImageFromFile'), dict(type='CenterCrop',
                                                 crop_size=64),
            dict(type='PackInputs')]
    cfg.test_dataloader = dict(
        batch_size=2, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='CustomDataset', data_root=str(tmp_path / 'cls'),
                     pipeline=pipe))
    cfg.test_evaluator = dict(type='Accuracy', topk=(1, ))
    path = tmp_path / 'cls.py'
    cfg.dump(str(path))
    ckpt = save_model_checkpoint(path, tmp_path / 'm.pth', 'mmpretrain')
    _, out, pngs = _test_with_show_dir(path, ckpt, tmp_path, capsys)
    assert len(pngs) == 4
    assert 'accuracy/top1' in out


@pytest.mark.parametrize('folder,pattern,says', [
    ('rsdfm', 'rsdfm-collab*.py', 'tools/rsdfm/report.py --pictures'),
    ('rsvheat_pretrain', '*tiny16*.py', 'has no test_dataloader / test_cfg')])
def test_show_dir_where_there_is_nothing_to_paint_says_so(
        folder, pattern, says, tmp_path):
    import torch
    cfg = sorted((REPO / 'configs' / folder).glob(pattern))[0]
    ckpt = tmp_path / 'm.pth'
    torch.save(dict(state_dict={}), ckpt)
    with pytest.raises(SystemExit) as e:
        test_tool.main([str(cfg), str(ckpt), '--work-dir',
                        str(tmp_path / 'w'), '--show-dir',
                        str(tmp_path / 's')])
    assert says in str(e.value)


def test_change_detection_precision_undefined_when_nothing_predicted(
        shared_data, tmp_path, capsys):
    """A model that predicts no change: precision is undefined (Open-CD /
    mmseg IoUMetric: NaN), not 100; F1 and recall are 0."""
    import torch
    cfg = write_cd_cfg(tmp_path / 'cd.py', shared_data / 'levir_cd')

    def never_change(model):
        for head in (model.decode_head, model.auxiliary_head):
            with torch.no_grad():
                head.conv_seg.weight.zero_()
                head.conv_seg.bias.copy_(torch.tensor([10.0, -10.0]))

    ckpt = save_model_checkpoint(cfg, tmp_path / 'none.pth', 'mmseg',
                                 edit=never_change)
    metrics = test_tool.main([str(cfg), str(ckpt), '--work-dir',
                              str(tmp_path / 'w')])
    out = capsys.readouterr().out
    assert np.isnan(metrics['precision'])
    assert metrics['recall'] == 0 and metrics['F1'] == 0
    summary = out.split('test metrics:', 1)[1]
    assert 'precision  undefined' in summary
    log = next((tmp_path / 'w').rglob('*.log')).read_text()
    assert 'precision undefined' in log
    assert 'no change was predicted' in log


def test_heat_picture_has_input_and_difference_panels(tmp_path):
    import torch
    import visualize_heat
    cfg = write_seg_cfg(tmp_path / 'cfg.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cfg, tmp_path / 'm.pth', 'mmseg')
    img = tmp_path / 'tile.png'
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (64, 80, 3), np.uint8)).save(img)
    res = visualize_heat.main([str(cfg), str(ckpt), str(img), '--out',
                               str(tmp_path / 'heat.png')])
    assert res['titles'][0] == 'input image (80 x 64 px)'
    assert len(res['rows']) == 4
    for i, row in enumerate(res['rows']):
        assert f'stage {i} ({row["before"].shape[0]}x' \
            f'{row["before"].shape[1]}): after - before' in res['titles']
        assert torch.equal(row['diff'], row['after'] - row['before'])
        assert row['diff'].abs().max() > 0  # diffusion changed the field
    assert Image.open(tmp_path / 'heat.png').size[0] > 1000
