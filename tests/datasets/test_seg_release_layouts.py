"""Segmentation datasets read as their public releases ship them (issue 12
items 1, 2, 7; issue 16 item 6 LEVIR-CD ``.PNG``): fixtures written in each
release's layout and encoding, loaded through the dataset classes and the
configs' loading transforms."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import rsvheat_mm  # noqa: F401
from mmseg.registry import DATASETS

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py
REPO = Path(__file__).resolve().parents[2]

# the official AIR-PolSAR-Seg colours (R, G, B) and their class indices
AIR_COLORS = {(255, 255, 0): 0, (0, 0, 255): 1, (0, 255, 0): 2,
              (255, 0, 0): 3, (0, 255, 255): 4, (255, 255, 255): 5,
              (0, 0, 0): 255}
AIR_LOAD = [dict(type='LoadMultiImageFromFiles', path_keys=('img_path', ),
                 color_types='unchanged'),
            dict(type='LoadMappedAnnotations'),
            dict(type='PackMultiImgSegInputs')]


def _air_release(root: Path, n_train=3, n_test=2, size=16, seed=0):
    """AIR-PolSAR-Seg as released: flat *_HH/HV/VH/VV.tiff (uint16) and an
    RGB colour *_gt.png side by side; returns {id: (pol stack, index map)}."""
    rng = np.random.default_rng(seed)
    colors = np.array(list(AIR_COLORS), np.uint8)
    truth = {}
    for split, n in (('train_set', n_train), ('test_set', n_test)):
        (root / split).mkdir(parents=True)
        for k in range(n):
            sid = f'{split[:-4]}{k:03d}'
            pols = rng.integers(0, 65535, (size, size, 4), dtype=np.uint16)
            for b, pol in enumerate(('HH', 'HV', 'VH', 'VV')):
                assert cv2.imwrite(str(root / split / f'{sid}_{pol}.tiff'),
                                   pols[..., b])
            pick = rng.integers(0, len(colors), (size, size))
            pick[0, :len(colors)] = np.arange(len(colors))  # every colour
            Image.fromarray(colors[pick], 'RGB').save(
                root / split / f'{sid}_gt.png')
            index = np.array([AIR_COLORS[tuple(c)] for c in colors],
                             np.uint8)[pick]
            truth[sid] = (pols, index)
    return truth


def test_air_polsar_seg_release_layout_and_colours(tmp_path):
    truth = _air_release(tmp_path)
    train = DATASETS.build(dict(type='AIRPolSARSegDataset',
                                data_root=str(tmp_path), pipeline=AIR_LOAD))
    test = DATASETS.build(dict(type='AIRPolSARSegDataset',
                               data_root=str(tmp_path), pipeline=AIR_LOAD,
                               data_prefix=dict(img_path='test_set',
                                                seg_map_path='test_set')))
    assert (len(train), len(test)) == (3, 2)
    assert train.metainfo['classes'] == ('housing', 'industrial', 'natural',
                                         'land_use', 'water', 'other')
    # the palette is the official colour of each class
    pal = {tuple(c): i for i, c in enumerate(train.metainfo['palette'])}
    assert pal == {c: i for c, i in AIR_COLORS.items() if i != 255}
    for ds in (train, test):
        for i in range(len(ds)):
            out = ds[i]
            sid = Path(out['data_samples'].img_path[0]).name.split('_')[0]
            pols, index = truth[sid]
            inputs = out['inputs'].numpy()
            assert inputs.shape == (4, 16, 16)  # HH, HV, VH, VV
            np.testing.assert_array_equal(inputs.transpose(1, 2, 0), pols)
            gt = out['data_samples'].gt_sem_seg.data[0].numpy()
            np.testing.assert_array_equal(gt, index)
            assert set(np.unique(gt)) == {0, 1, 2, 3, 4, 5, 255}


def test_air_polsar_seg_unknown_colour_names_file_and_colour(tmp_path):
    _air_release(tmp_path, n_train=1, n_test=0)
    path = tmp_path / 'train_set' / 'train000_gt.png'
    arr = np.array(Image.open(path))
    arr[3, 4] = (128, 128, 128)  # the old grey "other" of this class
    Image.fromarray(arr).save(path)
    ds = DATASETS.build(dict(type='AIRPolSARSegDataset',
                             data_root=str(tmp_path), pipeline=AIR_LOAD))
    with pytest.raises(ValueError,
                       match=r'train000_gt\.png has colour\(s\) '
                       r'\[\(128, 128, 128\)\]'):
        ds[0]


def test_air_polsar_seg_old_layout_names_release_layout(tmp_path):
    (tmp_path / 'train_set' / 'images').mkdir(parents=True)
    (tmp_path / 'train_set' / 'annotations').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=r'no \*_HH\.tiff files.*Expected AIR-PolSAR-Seg '
                       r'layout.*<id>_gt\.png'):
        DATASETS.build(dict(type='AIRPolSARSegDataset',
                            data_root=str(tmp_path)))


# ------------------------------------------------------------ WHU-OPT-SAR
WHU_SPLIT = 'The division of the dataset.txt'
WHU_LOAD = [dict(type='LoadMultiImageFromFiles',
                 path_keys=('img_path', 'sar_path'), color_types='unchanged',
                 bands=((0, 1, 2), None)),
            dict(type='LoadMappedAnnotations'),
            dict(type='PackMultiImgSegInputs')]


def _whu_release(root: Path, train=('NH49E001013', 'NH49E004021'),
                 test=('NI49E021011', ), h=40, w=56, seed=1):
    """WHU-OPT-SAR as released: optical 4-band uint8, SAR 1 band, labels
    0/10..70, flat folders, and the split file as shipped (CRLF, headers,
    names with .tif, a blank line before "test:")."""
    rng = np.random.default_rng(seed)
    scenes = {}
    for sid in train + test:
        opt = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        sar = rng.integers(0, 256, (h, w), dtype=np.uint8)
        lbl = (rng.integers(0, 8, (h, w)) * 10).astype(np.uint8)
        for mod, arr in (('optical', opt), ('sar', sar), ('lbl', lbl)):
            (root / mod).mkdir(parents=True, exist_ok=True)
            # cv2 stores BGR(A): swap so the file holds (b0, b1, b2, b3)
            data = arr[..., [2, 1, 0, 3]] if arr.ndim == 3 else arr
            assert cv2.imwrite(str(root / mod / f'{sid}.tif'), data)
        scenes[sid] = (opt, sar, lbl)
    text = 'train:\r\n' + ''.join(f'{s}.tif\r\n' for s in train) + \
        '\r\ntest:\r\n' + ''.join(f'{s}.tif\r\n' for s in test)
    (root / WHU_SPLIT).write_bytes(text.encode())
    return scenes


def _run(args, cwd):
    return subprocess.run([sys.executable] + [str(a) for a in args],
                          cwd=str(cwd), capture_output=True, text=True)


def test_whu_opt_sar_converter_tiles_release(tmp_path):
    src, out = tmp_path / 'WHU-OPT-SAR', tmp_path / 'whu_tiles'
    scenes = _whu_release(src)
    res = _run([REPO / 'tools/dataset_converters/whu_opt_sar.py', src, out,
                '--tile', '32', '--gap', '16'], tmp_path)
    assert res.returncode == 0, res.stderr
    # 56 x 40 with tile 32: train stride 16 -> x 0,16,24 / y 0,8; test
    # gap 0 -> x 0,24 / y 0,8
    counts = {s: len(list((out / s / 'lbl').iterdir()))
              for s in ('train', 'test')}
    assert counts == {'train': 2 * 3 * 2, 'test': 1 * 2 * 2}
    assert not (out / 'val').exists()  # the release has no validation split
    from rsvheat_mm.datasets.transforms.image_io import read_raster
    opt, sar, lbl = scenes['NH49E004021']
    tile = out / 'train' / '{}' / 'NH49E004021_16_8.tif'
    t_opt = read_raster(str(tile).format('optical'), 'unchanged')
    assert t_opt.dtype == np.uint8 and t_opt.shape == (32, 32, 4)
    np.testing.assert_array_equal(t_opt, opt[8:40, 16:48])
    np.testing.assert_array_equal(
        read_raster(str(tile).format('sar'), 'unchanged')[..., 0],
        sar[8:40, 16:48])
    # the tiles load with the config's dataset settings
    ds = DATASETS.build(dict(
        type='WHUOptSARDataset', data_root=str(out), pipeline=WHU_LOAD,
        data_prefix=dict(img_path='train/optical', sar_path='train/sar',
                         seg_map_path='train/lbl')))
    assert len(ds) == 12
    assert ds.metainfo['classes'] == ('farmland', 'city', 'village', 'water',
                                      'forest', 'road', 'others')
    sample = next(ds[i] for i in range(len(ds)) if
                  ds[i]['data_samples'].img_path.endswith('NH49E004021_16_8'
                                                          '.tif'))
    inputs = sample['inputs'].numpy()
    assert inputs.shape == (4, 32, 32)  # optical bands 0-2 + SAR
    np.testing.assert_array_equal(inputs[:3].transpose(1, 2, 0),
                                  opt[8:40, 16:48, :3])
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
    raw = lbl[8:40, 16:48]
    np.testing.assert_array_equal(gt[raw == 0], 255)
    np.testing.assert_array_equal(gt[raw > 0], raw[raw > 0] // 10 - 1)
    # a second run refuses to write over the first
    again = _run([REPO / 'tools/dataset_converters/whu_opt_sar.py', src,
                  out], tmp_path)
    assert again.returncode != 0 and 'already holds files' in again.stderr


def test_whu_opt_sar_reads_official_split_file(tmp_path):
    _whu_release(tmp_path)
    kw = dict(type='WHUOptSARDataset', data_root=str(tmp_path),
              ann_file=WHU_SPLIT, pipeline=WHU_LOAD)
    train = DATASETS.build(kw)
    test = DATASETS.build(dict(kw, split='test'))
    assert [Path(train.get_data_info(i)['sar_path']).name
            for i in range(len(train))] == ['NH49E001013.tif',
                                            'NH49E004021.tif']
    assert len(test) == 1
    assert train[0]['inputs'].shape == (4, 40, 56)
    with pytest.raises(KeyError, match='no validation split'):
        DATASETS.build(dict(kw, split='val'))


def test_whu_opt_sar_scene_without_sar_file(tmp_path):
    src = tmp_path / 'WHU-OPT-SAR'
    _whu_release(src)
    (src / 'sar' / 'NH49E004021.tif').unlink()
    res = _run([REPO / 'tools/dataset_converters/whu_opt_sar.py', src,
                tmp_path / 'out'], tmp_path)
    assert res.returncode != 0
    assert 'sar/NH49E004021.tif' in res.stderr
    assert 'Nothing was written' in res.stderr
    assert not (tmp_path / 'out').exists()
    assert not (tmp_path / 'out.partial').exists()
    with pytest.raises(FileNotFoundError, match=r"'NH49E004021' has no SAR "
                       r'file .*sar/NH49E004021\.tif'):
        DATASETS.build(dict(type='WHUOptSARDataset', data_root=str(src),
                            ann_file=WHU_SPLIT))


def test_whu_opt_sar_old_layout_names_converter(tmp_path):
    _whu_release(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=r"optical/train'.*Expected WHU-OPT-SAR layout.*"
                       r'tools/dataset_converters/whu_opt_sar\.py'):
        DATASETS.build(dict(
            type='WHUOptSARDataset', data_root=str(tmp_path),
            data_prefix=dict(img_path='optical/train', sar_path='sar/train',
                             seg_map_path='lbl/train')))


# --------------------------------------------------------------- LEVIR-CD
def test_levir_cd_upper_case_suffix_is_read(tmp_path):
    """Issue 16 item 6: ``.PNG`` files were silently dropped."""
    rng = np.random.default_rng(3)
    for k, ext in enumerate(('.png', '.PNG', '.Png')):
        a = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        for folder, arr in (('A', a), ('B', 255 - a),
                            ('label', np.full((8, 8), 255, np.uint8))):
            (tmp_path / folder).mkdir(exist_ok=True)
            # the label keeps the lower-case name: partners may differ
            name = f'p{k}' + ('.png' if folder == 'label' else ext)
            assert cv2.imwrite(str(tmp_path / folder / name), arr)
    ds = DATASETS.build(dict(
        type='LEVIRCDPairDataset', data_root=str(tmp_path),
        pipeline=[dict(type='LoadMultiImageFromFiles'),
                  dict(type='LoadMappedAnnotations'),
                  dict(type='PackMultiImgSegInputs')]))
    assert len(ds) == 3
    for i in range(3):
        assert ds[i]['data_samples'].gt_sem_seg.data.unique().tolist() == [1]


# ------------------------------------------------------- missing datasets
@pytest.mark.parametrize('cfg,command', [
    (dict(type='rsvheat_mm.CheckedPotsdamDataset',
          data_prefix=dict(img_path='img_dir/train',
                           seg_map_path='ann_dir/train')),
     r'potsdam\.py.*github\.com/open-mmlab/mmsegmentation'),
    (dict(type='rsvheat_mm.CheckedISAIDDataset',
          data_prefix=dict(img_path='img_dir/train',
                           seg_map_path='ann_dir/train')),
     r'isaid\.py.*--patch_width 896'),
    (dict(type='LEVIRCDPairDataset',
          data_prefix=dict(img_path='train/A', img_path2='train/B',
                           seg_map_path='train/label')),
     r'unzip train\.zip'),
])
def test_missing_seg_data_names_layout_and_command(tmp_path, cfg, command):
    with pytest.raises(FileNotFoundError, match=r'Expected .*layout.*' +
                       command):
        DATASETS.build(dict(cfg, data_root=str(tmp_path / 'absent')))
