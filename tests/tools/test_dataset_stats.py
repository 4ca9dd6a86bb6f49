"""tools/analysis_tools/dataset_stats.py against numpy (issue 12 item 4):
per-band mean / std / range of the training split, any dtype and band
count, streamed through the config's own transforms."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/analysis_tools/dataset_stats.py'

SEG_CFG = """
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_scope = 'mmseg'
model = dict(data_preprocessor=dict(bgr_to_rgb=False))
load = [dict(type='LoadMultiImageFromFiles', path_keys=('img_path', ),
             color_types='unchanged'),
        dict(type='LoadMappedAnnotations'),
        dict(type='SARLogScale', img_indices=(0, ))]
train_dataloader = dict(dataset=dict(
    type='AIRPolSARSegDataset', data_root={root!r},
    pipeline=load + [dict(type='MultiImgRandomCrop', crop_size=(4, 4)),
                     dict(type='PackMultiImgSegInputs')]))
val_dataloader = dict(dataset=dict(
    type='AIRPolSARSegDataset', data_root={root!r},
    data_prefix=dict(img_path='test_set', seg_map_path='test_set'),
    pipeline=load + [dict(type='PackMultiImgSegInputs')]))
"""

DET_CFG = """
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_scope = 'mmdet'
model = dict(data_preprocessor=dict(mean=[127.5], std=[127.5],
                                    bgr_to_rgb=False))
pipe = [dict(type='LoadImageFromFile', color_type='grayscale'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='PackDetInputs')]
train_dataloader = dict(dataset=dict(
    type='SARAircraftDataset', data_root={root!r},
    ann_file='ImageSets/Main/train.txt', pipeline=pipe))
val_dataloader = dict(dataset=dict(
    type='SARAircraftDataset', data_root={root!r},
    ann_file='ImageSets/Main/test.txt', pipeline=pipe))
"""


def _run(args, cwd):
    res = subprocess.run([sys.executable, str(TOOL)] + [str(a) for a in
                                                        args],
                         cwd=str(cwd), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res


def _check(res_json, pixels):
    ref = np.concatenate([p.reshape(-1, p.shape[-1]) for p in pixels])
    ref = ref.astype(np.float64)
    got = json.loads(res_json.read_text())
    np.testing.assert_allclose(got['mean'], ref.mean(0), rtol=1e-9)
    np.testing.assert_allclose(got['std'], ref.std(0), rtol=1e-9)
    np.testing.assert_allclose(got['min'], ref.min(0))
    np.testing.assert_allclose(got['max'], ref.max(0))
    assert got['pixels'] == len(ref)
    return got


def test_stats_of_4_band_uint16_polsar_after_log_scale(tmp_path):
    pytest.importorskip('mmseg')
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'datasets'))
    from test_seg_release_layouts import _air_release
    truth = _air_release(tmp_path / 'data', n_train=3, n_test=1, seed=5)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(SEG_CFG.format(root=str(tmp_path / 'data')))
    res = _run([cfg, '--out', tmp_path / 'stats.json'], tmp_path)
    train = [np.log1p(p.astype(np.float32)).astype(np.float32)
             for k, (p, _) in truth.items() if k.startswith('train')]
    got = _check(tmp_path / 'stats.json', train)
    assert got['images'] == 3 and got['dtypes'] == ['float32']
    assert 'model = dict(data_preprocessor=dict(' in res.stdout
    mean_line = next(ln for ln in res.stdout.splitlines() if 'mean=' in ln)
    np.testing.assert_allclose(
        json.loads(mean_line.split('mean=')[1].rstrip(',')), got['mean'],
        atol=1e-3)


def test_stats_of_single_channel_sar_jpegs(tmp_path):
    pytest.importorskip('mmdet')
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'datasets'))
    from test_det_release_layouts import _sar_release
    root = tmp_path / 'SAR-AIRcraft-1.0'
    ids = _sar_release(root, seed=7)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(DET_CFG.format(root=str(root)))
    _run([cfg, '--out', tmp_path / 'stats.json'], tmp_path)
    train = [cv2.imread(str(root / 'JPEGImages' / f'{i}.jpg'),
                        cv2.IMREAD_GRAYSCALE)[..., None] for i in ids[:3]]
    got = _check(tmp_path / 'stats.json', train)
    assert got['images'] == 3 and got['dtypes'] == ['uint8']
    assert len(got['mean']) == 1 and 10 < got['mean'][0] < 60
