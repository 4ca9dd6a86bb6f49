"""ResizeToAnnotationFrame: images stored at another size than the labels."""
import numpy as np
import pytest

pytest.importorskip('mmcv')

from rsvheat_mm.datasets.transforms.det_transforms import \
    ResizeToAnnotationFrame  # noqa: E402


def test_resize_to_frame_from_data_info_and_fixed_size():
    img = np.random.default_rng(0).integers(0, 255, (170, 170, 3),
                                            dtype=np.uint8)
    t = ResizeToAnnotationFrame(frame_size=1024)
    out = t(dict(img=img.copy(), img_shape=(170, 170), ori_shape=(170, 170)))
    assert out['img'].shape == (1024, 1024, 3)
    assert out['img_shape'] == out['ori_shape'] == (1024, 1024)
    # the data info's width/height win over frame_size
    out = t(dict(img=img.copy(), width=300, height=200))
    assert out['img'].shape == (200, 300, 3)
    # no-op when sizes agree (same array object)
    same = dict(img=img, img_shape=(170, 170))
    assert ResizeToAnnotationFrame()(same)['img'] is img
    gray = ResizeToAnnotationFrame((64, 32))(dict(img=img[..., 0]))
    assert gray['img'].shape == (64, 32)
    # a constant image stays constant (bilinear keeps the mean)
    const = np.full((10, 10, 3), 77, np.uint8)
    np.testing.assert_array_equal(t(dict(img=const))['img'], 77)


def test_real_dota_thumbnail_to_label_frame(shared_data):
    from mmcv.transforms import LoadImageFromFile
    path = str(shared_data / 'dota/images/P2805__1024__0___0.png')
    res = LoadImageFromFile()(dict(img_path=path))
    assert res['img'].shape[:2] == (170, 170)  # a thumbnail
    res = ResizeToAnnotationFrame(1024)(res)
    assert res['img'].shape == (1024, 1024, 3)
    assert res['ori_shape'] == (1024, 1024)
