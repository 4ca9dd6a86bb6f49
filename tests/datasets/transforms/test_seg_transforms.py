"""Multi-image / multimodal transforms keep images and labels aligned."""
from pathlib import Path

import cv2
import numpy as np
import pytest

import rsvheat_mm  # noqa: F401
from mmcv.transforms import Compose
from rsvheat_mm.datasets.transforms import read_label, read_raster
from rsvheat_mm.datasets.transforms import (
    LoadMultiImageFromFiles, MultiImgExchangeTime,
    MultiImgPhotoMetricDistortion, MultiImgRandomCrop, MultiImgRandomFlip,
    MultiImgRandomResize, MultiImgRandomRotate90, PackMultiImgSegInputs,
    SARLogScale)

DEFAULT_SCOPE = 'mmseg'  # applied per test by tests/conftest.py


def _sample(h=40, w=56, seed=0):
    """A, B = 255 - A, SAR = 1000.5 * A[..., 1] (float), label from A."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    sar = (a[..., 1:2].astype(np.float32) * 1000.5)
    lab = (a[..., 0] > 127).astype(np.uint8)
    return dict(img=[a, 255 - a, sar], gt_seg_map=lab,
                seg_fields=['gt_seg_map'], img_shape=(h, w), ori_shape=(h, w))


def _aligned(res) -> bool:
    a, b, sar = res['img']
    return (a.shape[:2] == b.shape[:2] == sar.shape[:2]
            == res['gt_seg_map'].shape
            and np.array_equal(b, 255 - a)
            and np.array_equal(sar[..., 0], a[..., 1] * np.float32(1000.5))
            and np.array_equal(res['gt_seg_map'],
                               (a[..., 0] > 127).astype(np.uint8)))


def test_geometry_identical_for_all_images_and_label():
    pipe = Compose([
        MultiImgRandomCrop((24, 32)),
        MultiImgRandomFlip(prob=0.5, direction=['horizontal', 'vertical',
                                                'diagonal']),
        MultiImgRandomRotate90(prob=0.5)
    ])
    seen_flip, seen_rot, corners = set(), set(), set()
    for seed in range(60):
        np.random.seed(seed)
        src = _sample(seed=seed)
        res = pipe(dict(src, img=list(src['img'])))
        assert _aligned(res), f'misaligned for seed {seed}'
        assert res['img'][2].dtype == np.float32
        assert res['img_shape'] == res['img'][0].shape[:2]
        seen_flip.add(res['flip_direction'])
        seen_rot.add(res['rotate90_k'])
        corners.add(res['img'][0][0, 0].tobytes())
    assert seen_flip == {None, 'horizontal', 'vertical', 'diagonal'}
    assert seen_rot == {0, 1, 2, 3}
    assert len(corners) > 20  # the crop window moves


def test_checker_catches_a_one_sided_flip():
    res = _sample()
    assert _aligned(res)
    res['img'][1] = np.ascontiguousarray(res['img'][1][:, ::-1])
    assert not _aligned(res)


def test_resize_same_size_and_nearest_label():
    np.random.seed(3)
    res = MultiImgRandomResize(ratio_range=(1.5, 1.5))(_sample(h=20, w=30))
    assert [im.shape[:2] for im in res['img']] == [(30, 45)] * 3
    assert res['img'][0].dtype == np.uint8
    assert res['img'][2].dtype == np.float32
    assert set(np.unique(res['gt_seg_map'])) <= {0, 1}
    assert res['gt_seg_map'].shape == (30, 45)


def test_crop_cat_max_ratio_and_small_images():
    s = _sample(h=20, w=30)
    res = MultiImgRandomCrop((64, 64))(s)  # larger than the image: whole
    assert res['img'][0].shape[:2] == (20, 30)
    s = _sample(h=40, w=40)
    s['gt_seg_map'][:] = 0
    s['gt_seg_map'][:, :20] = 1
    np.random.seed(0)
    res = MultiImgRandomCrop((20, 20), cat_max_ratio=0.75)(s)
    cnt = np.bincount(res['gt_seg_map'].ravel(), minlength=2)
    assert cnt.max() / cnt.sum() < 0.75


def test_exchange_time_swaps_dates_only():
    a = np.zeros((8, 8, 3), np.uint8)
    b = np.full((8, 8, 3), 9, np.uint8)
    lab = np.eye(8, dtype=np.uint8)
    res = MultiImgExchangeTime(prob=1.)(dict(img=[a, b], gt_seg_map=lab,
                                             seg_fields=['gt_seg_map']))
    assert res['img'][0] is b and res['img'][1] is a
    assert res['gt_seg_map'] is lab and res['exchange_time']


def test_photometric_independent_per_date_and_skips_sar():
    a = np.random.default_rng(0).integers(30, 220, (16, 16, 3), np.uint8)
    sar = np.arange(256, dtype=np.float32).reshape(16, 16, 1)
    t = MultiImgPhotoMetricDistortion()
    differs = 0
    for seed in range(10):
        np.random.seed(seed)
        out = t(dict(img=[a.copy(), a.copy()]))['img']
        assert out[0].shape == a.shape and out[0].dtype == np.uint8
        differs += not np.array_equal(out[0], out[1])
    assert differs >= 8  # two dates get their own jitter
    np.random.seed(0)
    out = MultiImgPhotoMetricDistortion(img_indices=(0, ))(
        dict(img=[a.copy(), sar.copy()]))['img']
    np.testing.assert_array_equal(out[1], sar)
    with pytest.raises(ValueError, match='3-channel'):
        MultiImgPhotoMetricDistortion()(dict(img=[a, sar]))


def test_sar_log_scale_keeps_range():
    x = np.array([[0, 1, 1000, 65535]], np.uint16)[..., None]
    out = SARLogScale(img_indices=(0, ))(dict(img=[x]))['img'][0]
    ref = np.log1p(x.astype(np.float64))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert out[0, 3, 0] > out[0, 2, 0] > out[0, 1, 0]  # no saturation


def test_pack_concatenates_in_order():
    a = np.full((8, 10, 3), 7, np.uint8)
    sar = np.full((8, 10, 1), 4000.25, np.float32)
    lab = np.ones((8, 10), np.uint8)
    out = PackMultiImgSegInputs()(dict(
        img=[a, sar], gt_seg_map=lab, seg_fields=['gt_seg_map'],
        img_shape=(8, 10), ori_shape=(8, 10)))
    x = out['inputs']
    assert x.shape == (4, 8, 10) and str(x.dtype) == 'torch.float32'
    assert (x[:3] == 7).all() and (x[3] == 4000.25).all()
    assert out['data_samples'].metainfo['img_channels'] == [3, 1]
    assert out['data_samples'].gt_sem_seg.data.shape == (1, 8, 10)


def test_read_raster_keeps_dtype_and_band_order(tmp_path: Path):
    u16 = np.random.default_rng(0).integers(0, 65535, (12, 9),
                                            dtype=np.uint16)
    cv2.imwrite(str(tmp_path / 'sar.png'), u16)
    cv2.imwrite(str(tmp_path / 'sar.tif'), u16)
    f32 = np.random.default_rng(1).normal(0, 1e4, (12, 9)).astype(np.float32)
    cv2.imwrite(str(tmp_path / 'sarf.tif'), f32)
    for name, ref in (('sar.png', u16), ('sar.tif', u16), ('sarf.tif', f32)):
        got = read_raster(tmp_path / name, 'unchanged')
        assert got.dtype == ref.dtype and got.shape == (12, 9, 1), name
        np.testing.assert_array_equal(got[..., 0], ref)
    rgbn = np.random.default_rng(2).integers(0, 256, (6, 5, 4), np.uint8)
    # cv2 writes its input as B, G, R, A: store bands 0..3 in file order
    cv2.imwrite(str(tmp_path / 'opt.tif'), rgbn[..., [2, 1, 0, 3]])
    got = read_raster(tmp_path / 'opt.tif', 'unchanged', bands=(0, 1, 2))
    from PIL import Image
    ref = np.array(Image.open(tmp_path / 'opt.tif'))[..., :3]
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got, rgbn[..., :3])
    with pytest.raises(ValueError, match=r'bands=\[5\].*opt\.tif has 4'):
        read_raster(tmp_path / 'opt.tif', 'unchanged', bands=(5, ))
    with pytest.raises(FileNotFoundError, match='nope.png'):
        read_raster(tmp_path / 'nope.png')
    cv2.imwrite(str(tmp_path / 'rgb_label.png'),
                np.random.default_rng(3).integers(0, 9, (4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='rgb_label.png has shape'):
        read_label(tmp_path / 'rgb_label.png')


def test_loader_stacks_band_files_and_checks_sizes(tmp_path: Path):
    hh = np.full((6, 7), 300, np.uint16)
    hv = np.full((6, 7), 40000, np.uint16)
    cv2.imwrite(str(tmp_path / 'p_HH.tiff'), hh)
    cv2.imwrite(str(tmp_path / 'p_HV.tiff'), hv)
    cv2.imwrite(str(tmp_path / 'p_VV.tiff'), np.zeros((6, 8), np.uint16))
    t = LoadMultiImageFromFiles(path_keys=('img_path', ),
                                color_types='unchanged')
    res = t(dict(img_path=[str(tmp_path / 'p_HH.tiff'),
                           str(tmp_path / 'p_HV.tiff')]))
    img = res['img'][0]
    assert img.shape == (6, 7, 2) and img.dtype == np.uint16
    assert img[0, 0].tolist() == [300, 40000]
    with pytest.raises(ValueError, match='p_VV.tiff'):
        t(dict(img_path=[str(tmp_path / 'p_HH.tiff'),
                         str(tmp_path / 'p_VV.tiff')]))
    with pytest.raises(KeyError, match='img_path2'):
        LoadMultiImageFromFiles()(dict(img_path=str(tmp_path / 'p_HH.tiff')))
