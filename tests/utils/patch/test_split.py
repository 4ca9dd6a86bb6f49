"""Window layout, polygon clipping and image splitting."""
import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from rsvheat_mm.utils.patch.split import (clip_polygon, compute_windows,
                                  parse_tile_id, polygon_area, split_image,
                                  split_objects, tile_id)


@pytest.mark.parametrize('even', [False, True])
@pytest.mark.parametrize('w,h,patch,gap', [(1024, 1024, 512, 256),
                                           (1300, 700, 512, 100),
                                           (300, 5000, 1024, 200),
                                           (1024, 1024, 1024, 200),
                                           (16384, 2000, 512, 128)])
def test_windows_cover_image(w, h, patch, gap, even):
    wins = compute_windows(w, h, patch, gap, even=even)
    cover = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in wins:
        assert x2 - x1 == patch and y2 - y1 == patch
        assert x1 >= 0 and y1 >= 0
        # windows stay inside unless the image is smaller than a patch
        assert x2 <= max(w, patch) and y2 <= max(h, patch)
        cover[y1:y2, x1:x2] = True
    assert cover.all()
    # neighbouring starts never step more than patch - gap
    xs = sorted(set(wins[:, 0]))
    assert all(b - a <= patch - gap for a, b in zip(xs, xs[1:]))


@pytest.mark.parametrize('length,patch,gap', [(16384, 512, 128),
                                              (2048, 512, 128), (700, 256, 64),
                                              (1000, 999, 1), (513, 512, 100)])
def test_even_windows_spread_the_overlap(length, patch, gap):
    """Even layout: as many windows as the devkit layout, the same ends, and
    the devkit's extra last overlap (up to a step) shared by all steps."""
    dev = compute_windows(length, 64, patch, gap)
    ev = compute_windows(length, 64, patch, gap, even=True)
    assert len(ev) == len(dev)
    xs = sorted(set(ev[:, 0]))
    assert xs[0] == 0 and xs[-1] == max(length - patch, 0)
    overlaps = [patch - (b - a) for a, b in zip(xs, xs[1:])]
    share = -(-(patch - gap) // max(len(xs) - 1, 1)) + 1
    assert all(gap <= o <= gap + share for o in overlaps)
    assert max(overlaps, default=gap) <= (gap + 8 if length > 2000 else patch)


def test_windows_reject_bad_gap():
    with pytest.raises(ValueError, match='larger than gap'):
        compute_windows(100, 100, 64, 64)


def _raster_area(poly, rect, n=600):
    """Area of poly & rect by dense point sampling (float64 reference)."""
    x1, y1, x2, y2 = rect
    xs = np.linspace(x1, x2, n, endpoint=False) + (x2 - x1) / (2 * n)
    ys = np.linspace(y1, y2, n, endpoint=False) + (y2 - y1) / (2 * n)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    inside = MplPath(poly).contains_points(pts)
    return inside.mean() * (x2 - x1) * (y2 - y1)


def test_clip_polygon_area_matches_raster():
    rng = np.random.default_rng(1)
    rect = (20., 10., 80., 70.)
    for _ in range(20):
        c = rng.uniform(0, 100, 2)
        w, h, a = rng.uniform(10, 60), rng.uniform(10, 60), rng.uniform(0, 3)
        u = np.array([np.cos(a), np.sin(a)]) * w / 2
        v = np.array([-np.sin(a), np.cos(a)]) * h / 2
        poly = np.stack([c + u + v, c + u - v, c - u - v, c - u + v])
        clipped = clip_polygon(poly, rect)
        ref = _raster_area(poly, rect)
        got = polygon_area(clipped)
        assert abs(got - ref) <= 0.01 * (w * h) + 1.0, (got, ref)
        if len(clipped):
            assert clipped[:, 0].min() >= rect[0] - 1e-9
            assert clipped[:, 1].max() <= rect[3] + 1e-9


def test_polygon_area_exact():
    assert polygon_area(np.array([[0, 0], [4, 0], [4, 3], [0, 3]])) == 12
    sq = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    np.testing.assert_allclose(polygon_area(clip_polygon(sq, (5, 5, 20, 20))),
                               25)
    assert len(clip_polygon(sq, (20, 20, 30, 30))) == 0


def test_split_objects_iof_rule():
    """Both published rules (issue 12 item 6): mmrotate img_split.py keeps
    ``iof >= thr`` unclipped with the own difficulty and drops the rest; the
    DOTA kit keeps every piece clipped, difficulty 2 when ``iof <= thr``."""
    obj = dict(poly=np.float32([0, 0, 100, 0, 100, 10, 0, 10]), name='a',
               difficult=1)
    # mmrotate (default): 75 % inside -> kept whole, shifted, own difficulty
    (kept, ) = split_objects([obj], [25, 0, 125, 100], iof_thr=0.7)
    assert kept['truncated'] and kept['difficult'] == 1
    np.testing.assert_allclose(kept['iof'], 0.75)
    np.testing.assert_array_equal(kept['poly'],
                                  obj['poly'] - np.float32([25, 0] * 4))
    # 65 % inside: dropped
    assert split_objects([obj], [35, 0, 135, 100], iof_thr=0.7) == []
    # DOTA kit: 75 % (> thr) clipped, own difficulty; 65 % and exactly 70 %
    # (<= thr) kept clipped with difficulty 2
    (big, ) = split_objects([obj], [25, 0, 125, 100], mode='devkit')
    xs = big['poly'][0::2]
    np.testing.assert_allclose([xs.min(), xs.max()], [0, 75])
    assert big['difficult'] == 1
    for x0, iof in ((35, 0.65), (30, 0.7)):
        (small, ) = split_objects([obj], [x0, 0, x0 + 100, 100],
                                  mode='devkit')
        np.testing.assert_allclose(small['iof'], iof)
        assert small['difficult'] == 2
        xs = small['poly'][0::2]
        np.testing.assert_allclose([xs.min(), xs.max()], [0, 100 - x0])
    # fully inside: original corners shifted, not truncated, in both modes
    for mode in ('mmrotate', 'devkit'):
        (full, ) = split_objects([obj], [-10, -5, 90 + 100, 95], mode=mode)
        np.testing.assert_array_equal(full['poly'],
                                      obj['poly'] + np.float32([10, 5] * 4))
        assert not full['truncated'] and full['difficult'] == 1
    with pytest.raises(ValueError, match='mode'):
        split_objects([obj], [0, 0, 10, 10], mode='kit')


def test_tile_id_roundtrip():
    assert parse_tile_id('P2805__1024__0___0') == ('P2805', 0, 0, 1.0)
    name = tile_id('a__b', 824, 1648, 1024, rate=0.5)
    assert name == 'a__b__1024x0.5__824___1648'
    assert parse_tile_id(name) == ('a__b', 824, 1648, 0.5)
    with pytest.raises(ValueError, match='not a tile id'):
        parse_tile_id('P2805')


def test_split_image_pixels_and_padding():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 255, (700, 1300, 3), dtype=np.uint8)
    tiles = split_image(img, [], 'x', patch_size=512, gap=100,
                        pad_value=(1, 2, 3))
    wins = compute_windows(1300, 700, 512, 100)
    assert [(t.x, t.y) for t in tiles] == [tuple(w[:2]) for w in wins]
    for t in tiles:
        np.testing.assert_array_equal(t.image, img[t.y:t.y + 512,
                                                   t.x:t.x + 512])
    small = rng.integers(0, 255, (300, 200), dtype=np.uint8)
    (t, ) = split_image(small, [], 's', patch_size=512, gap=100,
                        pad_value=(7, 8, 9))
    assert t.image.shape == (512, 512)
    np.testing.assert_array_equal(t.image[:300, :200], small)
    assert (t.image[300:] == 7).all() and (t.image[:, 200:] == 7).all()


@pytest.mark.parametrize('mode', ['mmrotate', 'devkit'])
def test_split_real_tile_keeps_every_object_whole_somewhere(shared_data,
                                                            mode):
    import cv2
    from rsvheat_mm.datasets.annotations import parse_dota_txt
    root = shared_data / 'dota'
    # the shared tile is a 170 px thumbnail of a 1024 tile whose labels
    # are in 1024 px coordinates: bring the pixels to the label frame
    img = cv2.resize(cv2.imread(str(root / 'images/P2805__1024__0___0.png')),
                     (1024, 1024))
    objs, _ = parse_dota_txt(str(root / 'labelTxt/P2805__1024__0___0.txt'))
    tiles = split_image(img, objs, 'P2805', patch_size=512, gap=256,
                        mode=mode)
    assert len(tiles) == 9
    for k, obj in enumerate(objs):
        whole = [t for t in tiles for o in t.objects if not o['truncated']
                 and np.allclose(o['poly'] + np.float32([t.x, t.y] * 4),
                                 obj['poly'])]
        assert whole, f'object {k} is never whole in a tile'
    for t in tiles:
        np.testing.assert_array_equal(t.image, img[t.y:t.y + 512,
                                                   t.x:t.x + 512])
        for o in t.objects:
            if mode == 'mmrotate':  # unclipped, only pieces >= the thr
                assert o['iof'] >= 0.7
            else:  # clipped to the window; small pieces are difficult 2
                assert o['iof'] > 0.7 or o['difficult'] == 2
                assert (o['poly'] >= -1e-3).all() and (o['poly'] <= 512 +
                                                       1e-3).all()
    # downscaled split: boxes scale with the image
    half = split_image(img, objs, 'P2805', patch_size=512, gap=128,
                       rate=0.5, mode=mode)
    assert len(half) == 1 and half[0].image.shape == (512, 512, 3)
    np.testing.assert_allclose(
        np.stack([o['poly'] for o in half[0].objects]),
        np.stack([o['poly'] for o in objs]) * 0.5)


def test_split_tool_on_real_tile(shared_data, tmp_path):
    """The command line tool: tiles + DOTA txt, and a test set."""
    import importlib.util
    import shutil
    from pathlib import Path

    import cv2
    from rsvheat_mm.datasets.annotations import parse_dota_txt
    tool = Path(__file__).resolve().parents[3] / \
        'tools/dataset_converters/split_large_images.py'
    spec = importlib.util.spec_from_file_location('split_tool', tool)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    src = shared_data / 'dota'
    (tmp_path / 'images').mkdir()
    (tmp_path / 'labelTxt').mkdir()
    img = cv2.resize(cv2.imread(str(src / 'images/P2805__1024__0___0.png')),
                     (1024, 1024))  # thumbnail -> label frame
    cv2.imwrite(str(tmp_path / 'images' / 'P2805.png'), img)
    shutil.copy(src / 'labelTxt/P2805__1024__0___0.txt',
                tmp_path / 'labelTxt' / 'P2805.txt')
    out = tmp_path / 'split'
    n = mod.main(['--img-dir', str(tmp_path / 'images'), '--ann-dir',
                  str(tmp_path / 'labelTxt'), '--out-dir', str(out),
                  '--patch-size', '512', '--gap', '256'])
    assert n == 9
    names = sorted(p.stem for p in (out / 'images').iterdir())
    assert names == sorted(p.stem for p in (out / 'annfiles').iterdir())
    assert 'P2805__512__256___512' in names
    objs, _ = parse_dota_txt(str(out / 'annfiles/P2805__512__256___512.txt'))
    # mmrotate rule (default): the cut object keeps its own difficulty 0
    assert len(objs) == 2 and {o['difficult'] for o in objs} == {0}
    tile = cv2.imread(str(out / 'images/P2805__512__256___512.png'))
    np.testing.assert_array_equal(tile, img[512:1024, 256:768])
    n_test = mod.main(['--img-dir', str(tmp_path / 'images'), '--out-dir',
                       str(tmp_path / 'test'), '--patch-size', '1024',
                       '--rates', '0.5', '1.0'])
    assert n_test == 2
    assert not (tmp_path / 'test' / 'annfiles').exists()
    assert sorted(p.name for p in (tmp_path / 'test/images').iterdir()) == [
        'P2805__1024__0___0.png', 'P2805__1024x0.5__0___0.png']


def test_cut_corner_becomes_quad_like_dota_kit():
    # a diamond whose right corner is cut by the window -> 5-gon; the
    # shortest (cut) edge merges into its midpoint
    obj = dict(poly=np.float32([10, 3, 17, 10, 10, 17, 3, 10]), name='a',
               difficult=0)
    (o, ) = split_objects([obj], [0, 0, 15, 30], mode='devkit')
    np.testing.assert_allclose(o['iof'], 1 - 4 / 98)
    got = {tuple(p) for p in o['poly'].reshape(4, 2).tolist()}
    assert got == {(10., 3.), (15., 10.), (10., 17.), (3., 10.)}
