"""LEVIR-CD pair dataset: exact reading of the real pairs and bad input."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import rsvheat_mm  # noqa: F401
from mmseg.registry import DATASETS
from rsvheat_mm.datasets.levir_cd import LEVIRCDPairDataset

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py

LOAD = [dict(type='LoadMultiImageFromFiles'),
        dict(type='LoadMappedAnnotations')]


def _levir(shared_data: Path) -> Path:
    root = shared_data / 'levir_cd'
    if not (root / 'A').is_dir():
        pytest.skip(f'LEVIR-CD tiles not found in {root}')
    return root


def test_reads_real_pairs_exactly(shared_data):
    root = _levir(shared_data)
    ds = DATASETS.build(dict(type='LEVIRCDPairDataset', data_root=str(root),
                             pipeline=LOAD + [dict(
                                 type='PackMultiImgSegInputs')]))
    names = sorted(p.name for p in (root / 'A').glob('*.png'))
    assert len(ds) == len(names) == 4
    assert ds.metainfo['classes'] == ('unchanged', 'changed')
    n_changed = 0
    for i, name in enumerate(names):
        raw = ds.get_data_info(i)
        assert Path(raw['img_path']).name == name
        item = ds[i]
        a = np.array(Image.open(root / 'A' / name).convert('RGB'))
        b = np.array(Image.open(root / 'B' / name).convert('RGB'))
        lab = np.array(Image.open(root / 'label' / name))
        assert set(np.unique(lab).tolist()) <= {0, 255}
        x = item['inputs'].numpy()
        assert x.shape == (6, 256, 256) and x.dtype == np.uint8
        np.testing.assert_array_equal(x[:3].transpose(1, 2, 0), a)
        np.testing.assert_array_equal(x[3:].transpose(1, 2, 0), b)
        gt = item['data_samples'].gt_sem_seg.data.numpy()[0]
        np.testing.assert_array_equal(gt, (lab == 255).astype(np.int64))
        assert item['data_samples'].metainfo['img_channels'] == [3, 3]
        assert Path(item['data_samples'].metainfo['img_path2']).parent.name \
            == 'B'
        n_changed += int(gt.sum())
    assert n_changed > 0  # the tiles do contain change


def _write_pair(root: Path, name: str, a_hw=(32, 32), b_hw=(32, 32),
                label=None) -> None:
    rng = np.random.default_rng(0)
    for sub, hw in (('A', a_hw), ('B', b_hw)):
        (root / sub).mkdir(parents=True, exist_ok=True)
        if hw is not None:
            cv2.imwrite(str(root / sub / name),
                        rng.integers(0, 256, (*hw, 3), dtype=np.uint8))
    (root / 'label').mkdir(parents=True, exist_ok=True)
    if label is None:
        label = np.zeros(a_hw, np.uint8)
        label[4:9, 4:20] = 255
    cv2.imwrite(str(root / 'label' / name), label)


def test_missing_b_folder_names_it(tmp_path):
    _write_pair(tmp_path, 'x.png')
    shutil.rmtree(tmp_path / 'B')
    with pytest.raises(FileNotFoundError, match=r"B \(after\).*'.*/B'"):
        LEVIRCDPairDataset(data_root=str(tmp_path), pipeline=LOAD)


def test_missing_b_file_names_it(tmp_path):
    _write_pair(tmp_path, 'x.png')
    _write_pair(tmp_path, 'y.png')
    (tmp_path / 'B' / 'y.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'y\.png'):
        LEVIRCDPairDataset(data_root=str(tmp_path), pipeline=LOAD)


def test_sizes_differ_names_both_files(tmp_path):
    _write_pair(tmp_path, 'x.png', a_hw=(32, 32), b_hw=(32, 40))
    ds = LEVIRCDPairDataset(data_root=str(tmp_path), pipeline=LOAD)
    with pytest.raises(ValueError, match=r'A/x\.png is 32x32.*B/x\.png is '
                       r'32x40'):
        ds[0]


def test_label_with_other_values_names_file(tmp_path):
    lab = np.zeros((32, 32), np.uint8)
    lab[3:6, 3:6] = 255
    lab[10, 10] = 128  # e.g. a resampled mask
    _write_pair(tmp_path, 'x.png', label=lab)
    ds = LEVIRCDPairDataset(data_root=str(tmp_path), pipeline=LOAD)
    with pytest.raises(ValueError, match=r'label/x\.png has value\(s\) '
                       r'\[128\]'):
        ds[0]


def test_label_binarised_and_size_checked(tmp_path):
    lab = np.zeros((32, 32), np.uint8)
    lab[3:6, 3:9] = 255
    _write_pair(tmp_path, 'x.png', label=lab)
    ds = LEVIRCDPairDataset(data_root=str(tmp_path), pipeline=LOAD)
    gt = ds[0]['gt_seg_map']
    assert gt.dtype == np.uint8 and gt.sum() == 18 and gt.max() == 1
    cv2.imwrite(str(tmp_path / 'label' / 'x.png'), np.zeros((16, 32),
                                                            np.uint8))
    with pytest.raises(ValueError, match=r'label/x\.png is 16x32'):
        ds[0]


def test_predict_without_labels(tmp_path):
    _write_pair(tmp_path, 'x.png')
    ds = LEVIRCDPairDataset(
        data_root=str(tmp_path), data_prefix=dict(img_path='A',
                                                  img_path2='B'),
        pipeline=[dict(type='LoadMultiImageFromFiles')], test_mode=True)
    assert ds.get_data_info(0)['seg_map_path'] is None
    assert len(ds[0]['img']) == 2
