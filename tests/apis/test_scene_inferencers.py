"""Whole-scene inference (segmentation, change detection, detection) on
generated GeoTIFF scenes with tiny models built from the shipped configs."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('mmseg')
rasterio = pytest.importorskip('rasterio')

from mmengine.config import ConfigDict  # noqa: E402
from rsvheat_mm.apis import (ChangeSceneInferencer,  # noqa: E402
                             DetSceneInferencer, SegSceneInferencer,
                             build_scene_inferencer)
from rsvheat_mm.apis.raster_io import RasterSource  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_helpers import (CD_CFG, POLSAR_CFG, gcp_affine,  # noqa: E402
                           geotransform, smooth_scene, threshold_labels,
                           tiny_det_cfg, tiny_seg_cfg, train_tiny_seg,
                           write_gcp_tif, write_tif)

DEFAULT_SCOPE = 'mmseg'


def _georef(path):
    with rasterio.open(path) as ds:
        return ds.width, ds.height, ds.transform, ds.crs


def _classes(man):
    """Class map and nodata value of a segmentation manifest's GeoTIFF."""
    with rasterio.open(man['outputs']['seg']) as ds:
        return ds.read(1), ds.nodata


def _bounds(path):
    with rasterio.open(path) as ds:
        return ds.bounds


@pytest.fixture(scope='module')
def seg_inf():
    torch = pytest.importorskip('torch')
    torch.manual_seed(0)
    return SegSceneInferencer(tiny_seg_cfg(), None, 'cpu', patch_size=64,
                              gap=16, progress=False)


def test_seg_4band_uint16_scene(seg_inf, tmp_path):
    """A 4-band uint16 GeoTIFF into an 8-bit RGB config: refused without a
    choice, then with bands + stretch a georeferenced class GeoTIFF with the
    palette and an overview."""
    arr = smooth_scene(150, 170, 4, np.uint16, scale=12000.)
    scene = write_tif(tmp_path / 'ms.tif', arr)
    with pytest.raises(ValueError, match=r'ms\.tif.*4 band.*--bands'):
        seg_inf([scene], tmp_path / 'out')
    inf = SegSceneInferencer(seg_inf.cfg, None, 'cpu', patch_size=64,
                             gap=16, bands=[2, 1, 0],
                             rescale='percentile', progress=False)
    inf.model = seg_inf.model
    man = inf([scene], tmp_path / 'out')
    out = man['outputs']['seg']
    assert _georef(out) == _georef(scene)
    with rasterio.open(out) as ds:
        cls = ds.read(1)
        assert ds.profile['tiled'] and ds.profile['compress'] == 'deflate'
        pal = inf.meta['palette']
        assert ds.colormap(1)[1][:3] == tuple(pal[1])
    assert cls.max() < 6
    ov = Path(man['outputs']['overview'])
    import cv2
    assert cv2.imread(str(ov)).shape[:2] == (150, 170)
    assert json.loads((tmp_path / 'out' / 'ms.scene.json').read_text())[
        'crs'] == 'EPSG:32650'


def test_rgba_scene_with_nodata_collar(seg_inf, tmp_path):
    """An RGBA GeoTIFF (alpha 0 on a collar, as orthophoto tools export a
    footprint) into the RGB config without --bands: alpha dropped, the
    class GeoTIFF has nodata 255 on the collar and, elsewhere, the classes
    of the same scene without a mask; windows wholly on the collar are
    not run."""
    from rasterio.enums import ColorInterp
    rgb = smooth_scene(150, 230, 3, np.uint8, seed=4)
    alpha = np.full((150, 230), 255, np.uint8)
    alpha[:, :130] = 0
    alpha[120:, 200:] = 0
    scene = write_tif(tmp_path / 'rgba.tif',
                      np.concatenate([rgb, alpha[..., None]], -1))
    with rasterio.open(str(scene), 'r+') as ds:
        ds.colorinterp = [ColorInterp.red, ColorInterp.green,
                          ColorInterp.blue, ColorInterp.alpha]
    plain = write_tif(tmp_path / 'rgb.tif', rgb)
    man = seg_inf([scene], tmp_path / 'out')
    ref = seg_inf([plain], tmp_path / 'out')
    cls, nodata = _classes(man)
    assert nodata == 255
    assert _georef(man['outputs']['seg']) == _georef(scene)
    full, nodata = _classes(ref)
    assert nodata is None
    valid = alpha > 0
    assert (cls[~valid] == 255).all()
    np.testing.assert_array_equal(cls[valid], full[valid])
    assert man['nodata_pixels'] == int((~valid).sum())
    assert sum(man['pixels_per_class'].values()) == int(valid.sum())
    assert man['skipped_windows'] > 0
    import cv2
    ov = cv2.imread(str(man['outputs']['overview']))
    assert ov.shape[:2] == (150, 230)


def test_scene_stored_in_strips(seg_inf, tmp_path):
    """An untiled (strip) GeoTIFF gives the classes of the tiled one, with
    the GDAL cache raised for a window row of strips; over
    max_strip_cache_mb it keeps the bound and warns how to tile it."""
    arr = smooth_scene(60, 4500, 3, np.uint8, seed=6)  # 64 px rows: 2 MiB
    strip = write_tif(tmp_path / 'strip.tif', arr, tiled=False)
    tiled = write_tif(tmp_path / 'tiled.tif', arr)
    ref = seg_inf([tiled], tmp_path / 'ref')
    assert ref['gdal_cache_mb'] == seg_inf.gdal_cache_mb
    full = _classes(ref)[0]
    inf = SegSceneInferencer(seg_inf.cfg, None, 'cpu', patch_size=64,
                             gap=16, progress=False, gdal_cache_mb=1)
    inf.model = seg_inf.model
    man = inf([strip], tmp_path / 'out')
    with RasterSource(strip) as src:
        need = src.strip_cache_mb(64)
    assert man['gdal_cache_mb'] == need == 2
    np.testing.assert_array_equal(_classes(man)[0], full)
    inf.max_strip_cache_mb = 0
    with pytest.warns(UserWarning, match=r'strip\.tif.*TILED=YES'):
        man = inf([strip], tmp_path / 'out', skip_complete=False)
    assert man['gdal_cache_mb'] == 1
    np.testing.assert_array_equal(_classes(man)[0], full)


def test_one_window_equals_whole_image(seg_inf, tmp_path):
    """A scene that fits one window: windowed inference equals mmseg's own
    inference_model on the whole image (logits and class map)."""
    from mmseg.apis import inference_model
    arr = smooth_scene(56, 72, 3, np.uint8, seed=3)
    scene = write_tif(tmp_path / 'one.tif', arr)
    inf = SegSceneInferencer(seg_inf.cfg, None, 'cpu', patch_size=128,
                             gap=16, progress=False)
    inf.model = seg_inf.model
    man = inf([scene], tmp_path / 'out')
    cls = _classes(man)[0]
    inf.model.test_cfg = ConfigDict(mode='whole')
    try:
        ref = inference_model(inf.model, np.ascontiguousarray(arr[..., ::-1]))
    finally:
        inf.model.test_cfg = seg_inf.cfg.model.test_cfg
    logits = ref.seg_logits.data.numpy()
    np.testing.assert_array_equal(cls, logits.argmax(0))
    srcs = inf.open_inputs([scene])
    got = inf.predict_windows(srcs, np.array([[0, 0, 72, 56]]))[0]
    srcs[0].close()
    np.testing.assert_allclose(got, logits, rtol=1e-4, atol=1e-4)


@pytest.fixture(scope='module')
def trained_seg_inf():
    """The tiny UperNet trained 150 iterations at 256 px, the window size
    of the two-window test (a user fine-tunes at the crop size the scene
    windows then use), so its logits have real margins (an untrained one
    flips classes on noise)."""
    import torch
    torch.manual_seed(0)
    inf = SegSceneInferencer(tiny_seg_cfg(), None, 'cpu', patch_size=256,
                             gap=128, progress=False)
    train_tiny_seg(inf.model, size=256)
    return inf


@pytest.mark.parametrize('seed', [3, 7])
def test_two_window_scene_against_whole_image(trained_seg_inf, tmp_path,
                                              seed):
    """2 windows of 256 px overlapping by 128 px, logits cross-faded, vs
    the same model run on the whole 256 x 384 scene.

    The model is not local: the SCE is an absolute position bias resized
    to the input, the HCO keeps its input's mean (the DC term) and
    UPerHead pools globally, so a window never sees what the whole image
    sees and no stitching can make the two equal. Measured here: 99.87 %
    (seed 3) and 99.92 % (seed 7) agreement, the differences on class
    boundaries; over five scenes 99.81-99.92 %, so issue 13's 99.9 % is
    not reached on every scene (see docs/scene_inference.md, "Seams")."""
    from mmseg.apis import inference_model
    inf = trained_seg_inf
    arr = smooth_scene(256, 384, 3, np.uint8, seed=seed)
    scene = write_tif(tmp_path / 'two.tif', arr)
    assert len(inf.windows_of(384, 256)) == 2
    man = inf([scene], tmp_path / 'out')
    cls = _classes(man)[0]
    test_cfg = inf.model.test_cfg
    inf.model.test_cfg = ConfigDict(mode='whole')
    try:
        ref = inference_model(inf.model,
                              np.ascontiguousarray(arr[..., ::-1]))
    finally:
        inf.model.test_cfg = test_cfg
    ref = ref.pred_sem_seg.data[0].numpy()
    # the model learnt the task, and the class map is not trivial
    assert (ref == threshold_labels(arr)).mean() > 0.9
    frac = np.bincount(ref.reshape(-1), minlength=6) / ref.size
    assert (frac > 0.05).sum() >= 3, frac
    agree = (cls == ref).mean()
    assert agree >= 0.9975, agree


def test_sar_float32_and_polsar_uint16(tmp_path):
    """1-band float32 SAR and 4-band uint16 PolSAR through the AIR-PolSAR
    config (``unchanged`` loading + SARLogScale): georeference kept."""
    cfg1 = tiny_seg_cfg(POLSAR_CFG, channels=1)
    cfg1.model.data_preprocessor.update(mean=[0.], std=[1.])
    sar = np.random.default_rng(0).gamma(1., 200., (90, 110, 1))
    sar = write_tif(tmp_path / 'sar.tif', sar.astype(np.float32),
                    transform=geotransform(412000.0, 3300000.0, 10.0))
    inf = SegSceneInferencer(cfg1, None, 'cpu', patch_size=64, gap=16,
                             progress=False)
    man = inf([sar], tmp_path / 'out')
    assert _georef(man['outputs']['seg']) == _georef(sar)
    pol = write_tif(tmp_path / 'pol.tif',
                    smooth_scene(70, 64, 4, np.uint16, scale=30000.))
    inf4 = SegSceneInferencer(tiny_seg_cfg(POLSAR_CFG), None, 'cpu',
                              patch_size=64, gap=16, progress=False)
    man = inf4([pol], tmp_path / 'out')
    assert _georef(man['outputs']['seg']) == _georef(pol)
    with pytest.raises(ValueError, match=r'sar\.tif.*1 band.*expects 4'):
        inf4([sar], tmp_path / 'out4')


def test_sar_scene_with_nan_footprint(tmp_path):
    """A float32 SAR scene whose footprint edge is NaN without a nodata tag
    (SAR toolboxes export it so): nodata 255 there, and elsewhere the
    classes of the scene with 0 in its place (the backbone refuses NaN
    input, so before this the scene stopped at its first window)."""
    import torch
    torch.manual_seed(1)
    cfg = tiny_seg_cfg(POLSAR_CFG, channels=1)
    cfg.model.data_preprocessor.update(mean=[0.], std=[1.])
    inf = SegSceneInferencer(cfg, None, 'cpu', patch_size=64, gap=16,
                             progress=False)
    sar = np.random.default_rng(2).gamma(1., 200., (90, 150, 1))
    sar = sar.astype(np.float32)
    bad = np.zeros((90, 150), bool)
    bad[:, :25] = True
    bad[70:, 120:] = True
    sar[bad] = 0.
    filled = write_tif(tmp_path / 'filled.tif', sar)
    sar[bad] = np.nan
    scene = write_tif(tmp_path / 'nan.tif', sar)
    man = inf([scene], tmp_path / 'out')
    ref = inf([filled], tmp_path / 'ref')
    cls, nodata = _classes(man)
    assert nodata == 255
    full = _classes(ref)[0]
    assert (cls[bad] == 255).all()
    np.testing.assert_array_equal(cls[~bad], full[~bad])
    assert len(np.unique(full[~bad])) > 1
    assert man['nodata_pixels'] == int(bad.sum())


@pytest.fixture(scope='module')
def cd_inf():
    import torch
    torch.manual_seed(0)
    return ChangeSceneInferencer(tiny_seg_cfg(CD_CFG), None, 'cpu',
                                 patch_size=64, gap=16, progress=False)


def _pair(tmp_path, h=100, w=130):
    a = smooth_scene(h, w, 3, np.uint8, seed=1)
    b = a.copy()
    b[10:40, 20:60] = 255        # new buildings
    b[60:95, 90:125] = 0
    b[70:80, 5:12] = 255
    (tmp_path / 'A').mkdir(exist_ok=True)
    (tmp_path / 'B').mkdir(exist_ok=True)
    pa = write_tif(tmp_path / 'A' / 'p.tif', a)
    pb = write_tif(tmp_path / 'B' / 'p.tif', b)
    return pa, pb, a, b


def _run_pointwise(inf, pair, out):
    """Run ``inf`` with its model replaced by the pointwise rule
    ``|B - A| > 40`` (change logit ``mean |B - A| - 40``)."""
    def pointwise(srcs, windows):
        res = []
        for win in windows:
            wa, wb = (s.read_window(win).astype(np.float32) for s in srcs)
            d = np.abs(wb - wa).mean(-1) - 40.
            res.append(np.stack([np.zeros_like(d), d]))
        return res
    real = inf.predict_windows
    inf.predict_windows = pointwise
    try:
        return inf(pair, out)
    finally:
        inf.predict_windows = real


def test_cd_pair_outputs(cd_inf, tmp_path):
    """Change mask GeoTIFF + GeoJSON regions: georeference of the input,
    polygons inside the scene bounds (CRS units) and rasterising back to the
    mask. The model is replaced by a pointwise |B - A| rule so the mask is
    known; the real model runs the same path afterwards."""
    from rasterio.features import rasterize
    from shapely.geometry import shape
    pa, pb, a, b = _pair(tmp_path)
    man = _run_pointwise(cd_inf, [pa, pb], tmp_path / 'out')
    tif, gj = man['outputs']['change'], man['outputs']['regions']
    assert _georef(tif) == _georef(pa)
    with rasterio.open(tif) as ds:
        mask = ds.read(1)
        transform = ds.transform
    expect = (np.abs(b.astype(np.float32) - a).mean(-1) > 40).astype(
        np.uint8)
    np.testing.assert_array_equal(mask, expect)
    doc = json.loads(Path(gj).read_text())
    assert doc['crs']['properties']['name'].endswith('32650')
    geoms = [shape(f['geometry']) for f in doc['features']]
    assert len(geoms) == man['regions'] >= 3
    bl, bb, br, bt = _bounds(pa)
    for g in geoms:
        x1, y1, x2, y2 = g.bounds
        assert bl <= x1 and x2 <= br and bb <= y1 and y2 <= bt
    back = rasterize([(g, 1) for g in geoms], out_shape=mask.shape,
                     transform=transform)
    np.testing.assert_array_equal(back, mask)
    # the real tiny model through the same path
    man = cd_inf([pa, pb], tmp_path / 'out2')
    assert _georef(man['outputs']['change']) == _georef(pa)
    assert Path(man['outputs']['overview']).is_file()


def test_cd_nodata_in_one_scene(cd_inf, tmp_path):
    """The after scene has a nodata strip over one of the changes: those
    pixels are nodata (255) in the change GeoTIFF and no region is
    reported there; the before scene has no mask."""
    pa, _, a, b = _pair(tmp_path)
    b = b.copy()
    b[:, :70] = 0                 # nodata strip over two of the changes
    b[60:95, 90:125] = 250        # (0 would be nodata too)
    pb = write_tif(tmp_path / 'B' / 'p.tif', b)
    with rasterio.open(str(pb), 'r+') as ds:
        ds.nodata = 0
    valid = (b != 0).all(-1)
    man = _run_pointwise(cd_inf, [pa, pb], tmp_path / 'out')
    with rasterio.open(man['outputs']['change']) as ds:
        mask = ds.read(1)
        assert ds.nodata == 255
    expect = (np.abs(b.astype(np.float32) - a).mean(-1) > 40).astype(
        np.uint8)
    expect[~valid] = 255
    np.testing.assert_array_equal(mask, expect)
    assert man['changed_pixels'] == int((expect == 1).sum()) > 0
    doc = json.loads(Path(man['outputs']['regions']).read_text())
    from rasterio.features import rasterize
    from shapely.geometry import shape
    with rasterio.open(man['outputs']['change']) as ds:
        back = rasterize([(shape(f['geometry']), 1)
                          for f in doc['features']], out_shape=mask.shape,
                         transform=ds.transform)
    np.testing.assert_array_equal(back, (expect == 1).astype(np.uint8))


def test_gcp_georeferenced_scenes(seg_inf, cd_inf, tmp_path):
    """Scenes georeferenced by GCPs only (SAR products): the class GeoTIFF
    carries the same GCPs and CRS, the change regions are in the CRS
    through those GCPs (they rasterise back onto the mask with the affine
    the GCPs sample)."""
    from rasterio.features import rasterize
    from shapely.geometry import shape
    _, _, a, b = _pair(tmp_path)
    man = seg_inf([write_gcp_tif(tmp_path / 's.tif', a)], tmp_path / 'o1')
    with rasterio.open(man['outputs']['seg']) as ds:
        gcps, crs = ds.gcps
        assert crs.to_epsg() == 32650 and len(gcps) > 4
    assert man['georeference'] == 'gcps' and man['crs'] == 'EPSG:32650'
    (tmp_path / 'GA').mkdir()
    (tmp_path / 'GB').mkdir()
    pa = write_gcp_tif(tmp_path / 'GA' / 'p.tif', a)
    pb = write_gcp_tif(tmp_path / 'GB' / 'p.tif', b)
    man = _run_pointwise(cd_inf, [pa, pb], tmp_path / 'o2')
    with rasterio.open(man['outputs']['change']) as ds:
        mask = ds.read(1)
        assert ds.gcps[1].to_epsg() == 32650
    doc = json.loads(Path(man['outputs']['regions']).read_text())
    assert doc['crs']['properties']['name'].endswith('32650')
    back = rasterize([(shape(f['geometry']), 1) for f in doc['features']],
                     out_shape=mask.shape, transform=gcp_affine())
    assert mask.sum() > 0
    np.testing.assert_array_equal(back, mask)


def test_cd_errors_name_file_and_fix(cd_inf, tmp_path):
    pa, pb, a, b = _pair(tmp_path)
    shifted = write_tif(tmp_path / 'shifted.tif', b,
                        transform=geotransform(500002.0))
    with pytest.raises(ValueError, match=r'p\.tif and .*shifted\.tif.*'
                       r'transform.*co-register'):
        cd_inf([pa, shifted], tmp_path / 'o')
    four = write_tif(tmp_path / 'four.tif', np.dstack([b, b[..., :1]]))
    with pytest.raises(ValueError, match=r'four\.tif \(B \(after\)\) has 4 '
                       r'band.*--bands 0,1,2'):
        cd_inf([pa, four], tmp_path / 'o')
    junk = tmp_path / 'junk.tif'
    junk.write_bytes(b'\x00' * 100)
    with pytest.raises(ValueError, match=r'junk\.tif.*gdal_translate'):
        cd_inf([pa, junk], tmp_path / 'o')
    with pytest.raises(ValueError, match='takes 2 scene'):
        cd_inf([pa], tmp_path / 'o')
    assert not (tmp_path / 'o').exists() or not any(
        p.suffix == '.tif' for p in (tmp_path / 'o').iterdir())


def test_detection_scene_geojson(tmp_path):
    """A rotated detector over a georeferenced scene: GeoJSON polygons in
    the scene CRS inside its bounds, DOTA txt, overview."""
    pytest.importorskip('mmrotate')
    import torch
    torch.manual_seed(0)
    inf = build_scene_inferencer(tiny_det_cfg(), None, 'cpu',
                                 patch_size=256, gap=64, score_thr=0.,
                                 progress=False)
    assert isinstance(inf, DetSceneInferencer)
    scene = write_tif(tmp_path / 'det.tif',
                      smooth_scene(300, 420, 3, np.uint8, seed=5))
    man = inf([scene], tmp_path / 'out')
    doc = json.loads(Path(man['outputs']['geojson']).read_text())
    lines = Path(man['outputs']['txt']).read_text().splitlines()
    assert 0 < len(doc['features']) <= len(lines)
    assert doc['box_type'] == 'rbox'
    bl, bb, br, bt = _bounds(scene)
    for f in doc['features']:
        ring = np.array(f['geometry']['coordinates'][0])
        assert (ring[:, 0] >= bl - 1e-6).all() and \
            (ring[:, 0] <= br + 1e-6).all()
        assert (ring[:, 1] >= bb - 1e-6).all() and \
            (ring[:, 1] <= bt + 1e-6).all()
        assert f['properties']['class_name'] in inf.classes
    assert Path(man['outputs']['overview']).is_file()
    # the same scene georeferenced by GCPs: the same objects, their
    # polygons through the GCPs (here the affine they sample)
    from rsvheat_mm.apis.raster_io import pixel_polygon_to_crs
    gcp = write_gcp_tif(tmp_path / 'det_gcp.tif',
                        smooth_scene(300, 420, 3, np.uint8, seed=5))
    man2 = inf([gcp], tmp_path / 'out_gcp')
    doc2 = json.loads(Path(man2['outputs']['geojson']).read_text())
    assert len(doc2['features']) == len(doc['features'])
    inv = ~geotransform()
    for f, g in zip(doc['features'], doc2['features']):
        ring = np.array(f['geometry']['coordinates'][0])
        px = np.stack(inv @ (ring[:, 0], ring[:, 1]), 1)
        np.testing.assert_allclose(
            np.array(g['geometry']['coordinates'][0]),
            pixel_polygon_to_crs(px, gcp_affine()), rtol=0, atol=1e-4)
