"""The shipped configs' own dataset and pipeline settings on fixtures in each
release's layout (issue 12), and their missing-data messages (issue 17
item 5, issue 16 item 7)."""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
CFG = {
    'air': 'configs/upernet/upernet_rsvheat-b_8xb2-40k_air-polsar-seg-'
           '512x512.py',
    'whu': 'configs/upernet/upernet_rsvheat-b_8xb2-40k_whu-opt-sar-512x512.py',
    'potsdam': 'configs/upernet/upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py',
    'isaid': 'configs/upernet/upernet_rsvheat-b_8xb2-80k_isaid-896x896.py',
    'sar': 'configs/faster_rcnn/faster-rcnn_rsvheat-b_fpn_1x_sar-aircraft.py',
    'dota': 'configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_'
            'dota.py',
    'fair1m': 'configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_'
              'fair1m.py',
    'aid': 'configs/classification/rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-'
           '224.py',
    'nwpu': 'configs/classification/rsvheat-b_linear_8xb32-coslr-100e_'
            'nwpu45-tr10-224.py',
}


def _dataset(key, loader, root, pipeline_from=None):
    """Build ``loader``'s dataset of config ``key`` with ``data_root``."""
    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope
    import rsvheat_mm  # noqa: F401
    cfg = Config.fromfile(str(REPO / CFG[key]))
    init_default_scope(cfg.default_scope)
    ds = copy.deepcopy(cfg[loader].dataset)
    ds.data_root = str(root)
    if pipeline_from is not None:
        ds.pipeline = copy.deepcopy(cfg[pipeline_from].dataset.pipeline)
    return DATASETS.build(ds)


def test_air_polsar_seg_config_reads_the_release(tmp_path):
    pytest.importorskip('mmseg')
    from test_seg_release_layouts import _air_release
    truth = _air_release(tmp_path, n_train=2, n_test=1)
    train = _dataset('air', 'train_dataloader', tmp_path,
                     pipeline_from='val_dataloader')
    val = _dataset('air', 'val_dataloader', tmp_path)
    assert (len(train), len(val)) == (2, 1)
    out = val[0]
    pols, index = truth['test000']
    assert out['inputs'].shape == (4, 16, 16)
    # the config log-compresses the intensities
    np.testing.assert_allclose(out['inputs'].numpy().transpose(1, 2, 0),
                               np.log1p(pols.astype(np.float32)), rtol=1e-6)
    np.testing.assert_array_equal(
        out['data_samples'].gt_sem_seg.data[0].numpy(), index)


def test_whu_opt_sar_config_reads_the_converter_output(tmp_path):
    pytest.importorskip('mmseg')
    from test_seg_release_layouts import REPO as _R, _run, _whu_release
    _whu_release(tmp_path / 'rel')
    res = _run([_R / 'tools/dataset_converters/whu_opt_sar.py',
                tmp_path / 'rel', tmp_path / 'tiles', '--tile', '32', '--gap',
                '16'],
               tmp_path)
    assert res.returncode == 0, res.stderr
    train = _dataset('whu', 'train_dataloader', tmp_path / 'tiles',
                     pipeline_from='val_dataloader')
    val = _dataset('whu', 'val_dataloader', tmp_path / 'tiles')
    assert len(train) == 2 * 3 * 2 and len(val) == 2 * 2
    out = val[0]
    assert out['inputs'].shape == (4, 32, 32)  # R, G, B + SAR
    assert out['inputs'].dtype.is_floating_point is False  # uint8 kept
    gt = out['data_samples'].gt_sem_seg.data.unique().tolist()
    assert set(gt) <= set(range(7)) | {255}


def test_sar_aircraft_config_reads_the_release(tmp_path):
    pytest.importorskip('mmdet')
    from test_det_release_layouts import _sar_release
    _sar_release(tmp_path)
    train = _dataset('sar', 'train_dataloader', tmp_path,
                     pipeline_from='val_dataloader')
    val = _dataset('sar', 'val_dataloader', tmp_path)
    assert (len(train), len(val)) == (3, 1)  # train.txt, test.txt
    out = val[0]
    assert out['inputs'].shape[0] == 1  # grayscale SAR
    assert val.metainfo['classes'][-1] == 'other'


@pytest.mark.parametrize('key,loader,message', [
    ('potsdam', 'train_dataloader', r'potsdam\.py .*-o data/potsdam'),
    ('isaid', 'train_dataloader', r'isaid\.py .*-o data/iSAID'),
    ('dota', 'train_dataloader', r'split_large_images\.py --img-dir '
     r'data/DOTA/train/images data/DOTA/val/images'),
    ('dota', 'test_dataloader', r'split_large_images\.py'),
    ('fair1m', 'train_dataloader', r'--ann-format fair1m'),
    ('aid', 'train_dataloader', r'make_cls_splits\.py aid'),
    ('nwpu', 'train_dataloader', r'make_cls_splits\.py nwpu'),
    ('air', 'train_dataloader', r'unpack the release into '
     r'data/AIR-PolSAR-Seg'),
    ('whu', 'train_dataloader', r'whu_opt_sar\.py data/WHU-OPT-SAR'),
])
def test_config_missing_data_names_layout_and_command(tmp_path, key, loader,
                                                      message):
    pytest.importorskip({'potsdam': 'mmseg', 'isaid': 'mmseg',
                         'air': 'mmseg', 'whu': 'mmseg', 'sar': 'mmdet',
                         'dota': 'mmrotate', 'fair1m': 'mmrotate',
                         'aid': 'mmpretrain', 'nwpu': 'mmpretrain'}[key])
    with pytest.raises(FileNotFoundError, match=r'Expected .* layout.*' +
                       message):
        _dataset(key, loader, tmp_path / 'absent')


def test_dota_config_parse_error_names_file_and_line(tmp_path):
    """Issue 16 item 7: the shipped DOTA config uses the checked parser."""
    pytest.importorskip('mmrotate')
    from rsvheat_mm.datasets.annotations import AnnotationError
    from test_det_release_layouts import _dota
    _dota(tmp_path / 'trainval', ['10 10 50 10 50 40 10 40 plane 0',
                                  'plane 1 2 3 4 5 6 7 8 0'])
    with pytest.raises(AnnotationError, match=r'P0001\.txt:2: non-numeric'):
        _dataset('dota', 'train_dataloader', tmp_path)
    _dota(tmp_path / 'trainval', ['10 10 50 10 50 40 10 40 spaceship 0'])
    with pytest.raises(AnnotationError, match=r"unknown class name "
                       r"'spaceship' \(line 1\)"):
        _dataset('dota', 'train_dataloader', tmp_path)
