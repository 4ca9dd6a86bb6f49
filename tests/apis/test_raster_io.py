"""Windowed raster reads, checks and georeferenced writes (rasterio)."""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

rasterio = pytest.importorskip('rasterio')

from rsvheat_mm.apis.raster_io import (InputSpec, RasterSource,  # noqa: E402
                                       RowStripWriter, check_pair,
                                       pixel_polygon_to_crs, temp_path,
                                       write_geojson)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_helpers import CRS, geotransform, smooth_scene, write_tif  # noqa


def test_windowed_reads_equal_the_array(tmp_path):
    """4-band uint16 and 1-band float32 SAR: every window (incl. past the
    border, padded) equals the array; dtype kept."""
    rng = np.random.default_rng(0)
    for arr in (rng.integers(0, 65535, (300, 410, 4), dtype=np.uint16),
                rng.gamma(1., 100., (257, 190, 1)).astype(np.float32)):
        path = write_tif(tmp_path / f'{arr.dtype}.tif', arr)
        with RasterSource(path) as src:
            assert (src.height, src.width, src.count) == arr.shape
            assert src.dtype == arr.dtype and src.crs.to_epsg() == 32650
            for win in ([0, 0, 128, 128], [100, 37, 290, 250],
                        [150, 200, 406, 456]):
                x1, y1, x2, y2 = win
                got = src.read_window(win, pad_value=7)
                assert got.shape == (y2 - y1, x2 - x1, arr.shape[2])
                ref = np.full(got.shape, 7, arr.dtype)
                inner = arr[y1:y2, x1:x2]
                ref[:inner.shape[0], :inner.shape[1]] = inner
                np.testing.assert_array_equal(got, ref)


def test_band_selection_bgr_and_stretch(tmp_path):
    arr = smooth_scene(64, 80, 4, np.uint16, scale=10000.)
    path = write_tif(tmp_path / 's.tif', arr)
    spec = InputSpec(channels=3, bands=[2, 1, 0])
    with RasterSource(path, spec) as src:
        np.testing.assert_array_equal(src.read_window([0, 0, 80, 64]),
                                      arr[..., [2, 1, 0]])
    spec = InputSpec(channels=3, bands=[0, 1, 2], uint8=True, bgr=True,
                     value_range=(0, 10000))
    with RasterSource(path, spec) as src:
        got = src.read_window([0, 0, 80, 64])
        ref = np.clip(np.rint(arr[..., [2, 1, 0]] * (255 / 10000.)), 0, 255)
        assert got.dtype == np.uint8
        diff = np.abs(got.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and (diff == 0).mean() > 0.999  # x.5 rounding
    spec = InputSpec(channels=3, bands=[0, 1, 2], uint8=True,
                     rescale='percentile')
    with RasterSource(path, spec) as src:
        got = src.read_window([0, 0, 80, 64])
        assert got.min() == 0 and got.max() == 255


def test_clear_errors_name_the_file_and_fix(tmp_path):
    arr = smooth_scene(40, 40, 4, np.uint16)
    path = write_tif(tmp_path / 'four.tif', arr)
    with pytest.raises(ValueError, match=r'four\.tif.*4 band.*expects 3.*'
                       r'--bands 0,1,2'):
        RasterSource(path, InputSpec(channels=3))
    with pytest.raises(ValueError, match=r'four\.tif.*uint16.*8-bit.*'
                       r'--rescale percentile'):
        RasterSource(path, InputSpec(channels=3, bands=[0, 1, 2],
                                     uint8=True))
    with pytest.raises(ValueError, match=r'four\.tif.*asks for \[7\]'):
        RasterSource(path, InputSpec(channels=3, bands=[0, 1, 7]))
    bad = tmp_path / 'broken.tif'
    bad.write_text('not a raster')
    with pytest.raises(ValueError, match=r'broken\.tif.*re-export'):
        RasterSource(bad)
    with pytest.raises(FileNotFoundError, match='missing.tif'):
        RasterSource(tmp_path / 'missing.tif')


def test_check_pair(tmp_path):
    arr = smooth_scene(50, 60)
    a = write_tif(tmp_path / 'a.tif', arr)
    cases = dict(
        size=write_tif(tmp_path / 'size.tif', arr[:40]),
        shift=write_tif(tmp_path / 'shift.tif', arr,
                        transform=geotransform(500010.0)),
        crs=write_tif(tmp_path / 'crs.tif', arr, crs='EPSG:32651'))
    with RasterSource(a) as sa:
        check_pair(sa, sa)
        for name, path in cases.items():
            with RasterSource(path) as sb:
                with pytest.raises(ValueError, match=rf'a\.tif and .*'
                                   rf'{name}\.tif.*gdalwarp'):
                    check_pair(sa, sb)


def test_row_strip_writer(tmp_path):
    """Strips of odd heights give one tiled, compressed, georeferenced
    GeoTIFF with a colour table; nothing is left under the temp name."""
    rng = np.random.default_rng(0)
    cls = rng.integers(0, 6, (700, 530), dtype=np.uint8)
    out = tmp_path / 'cls.tif'
    pal = [(i * 40, 255 - i * 40, 7 * i) for i in range(6)]
    w = RowStripWriter(out, 530, 700, 'uint8', geotransform(), CRS, pal)
    row = 0
    for n in (1, 200, 77, 300, 122):
        w.write_rows(cls[row:row + n])
        row += n
    assert not out.exists() and os.path.exists(temp_path(out))
    w.close()
    assert not os.path.exists(temp_path(out))
    with rasterio.open(out) as ds:
        np.testing.assert_array_equal(ds.read(1), cls)
        assert ds.transform == geotransform() and ds.crs.to_epsg() == 32650
        assert ds.profile['tiled'] and ds.profile['compress'] == 'deflate'
        assert ds.colormap(1)[3][:3] == pal[3]
        # internal overviews by mode: a level-2 pixel is the most common
        # class of its 2 x 2 block (ties: one of the tied classes)
        assert ds.overviews(1) == [2] and \
            ds.tags(ns='rio_overview')['resampling'] == 'mode'
        from rasterio.enums import Resampling
        ov = ds.read(1, out_shape=(350, 265), resampling=Resampling.mode)
    blocks = cls[:700, :530].reshape(350, 2, 265, 2).transpose(0, 2, 1, 3)
    counts = np.stack([(blocks == k).sum((2, 3)) for k in range(6)], -1)
    hit = np.take_along_axis(counts, ov[..., None].astype(int), -1)[..., 0]
    assert (hit == counts.max(-1)).all()
    big = tmp_path / 'big.tif'
    w = RowStripWriter(big, 2100, 1100)
    w.write_rows(np.zeros((1100, 2100), np.uint8))
    w.close()
    with rasterio.open(big) as ds:
        assert ds.overviews(1) == [2, 4, 8]
    w = RowStripWriter(tmp_path / 'half.tif', 530, 700)
    w.write_rows(cls[:100])
    with pytest.raises(RuntimeError, match='100 of 700'):
        w.close()
    assert not list(tmp_path.glob('*half*'))


def test_geojson_crs(tmp_path):
    poly = np.array([[0, 0], [10, 0], [10, 4], [0, 4]], float)
    xy = pixel_polygon_to_crs(poly, geotransform())
    np.testing.assert_allclose(xy[2], [500005.0, 3499998.0])
    from rasterio.crs import CRS as RCRS
    path = write_geojson(tmp_path / 'x.geojson', [], RCRS.from_string(CRS))
    doc = json.loads(Path(path).read_text())
    assert doc['crs']['properties']['name'].endswith('32650')


def test_gdal_cache_bound_is_in_bytes():
    """rasterio passes an integer GDAL_CACHEMAX as bytes: the bound the
    inferencers set must be MiB * 2**20, and nonsense is refused."""
    import rasterio
    from rasterio.env import getenv
    from rsvheat_mm.apis.raster_io import gdal_cache_env
    env = gdal_cache_env(32)
    assert env == dict(GDAL_CACHEMAX=32 * 1024 * 1024)
    with rasterio.Env(**env):
        assert int(getenv()['GDAL_CACHEMAX']) == 32 * 1024 * 1024
    with pytest.raises(ValueError, match='at least 1'):
        gdal_cache_env(0)


def _rgba_tif(path, rgb, alpha):
    """An RGBA GeoTIFF (the 4th band tagged alpha), as orthophoto tools
    export it."""
    from rasterio.enums import ColorInterp
    arr = np.concatenate([rgb, alpha[..., None]], -1)
    write_tif(path, arr)
    with rasterio.open(str(path), 'r+') as ds:
        ds.colorinterp = [ColorInterp.red, ColorInterp.green,
                          ColorInterp.blue, ColorInterp.alpha]
    return Path(path)


def test_alpha_band_and_nodata_masks(tmp_path):
    """An RGBA GeoTIFF into a 3-channel model: the alpha band is dropped
    without --bands and becomes the valid mask; a nodata value masks its
    pixels; a scene without either has no mask."""
    rgb = smooth_scene(70, 90, 3, np.uint8, seed=2)
    alpha = np.full((70, 90), 255, np.uint8)
    alpha[:, :25] = 0
    alpha[60:, 50:] = 0
    path = _rgba_tif(tmp_path / 'rgba.tif', rgb, alpha)
    with RasterSource(path, InputSpec(channels=3)) as src:
        assert src.bands == [0, 1, 2] and src.has_mask
        np.testing.assert_array_equal(src.read_window([0, 0, 90, 70]), rgb)
        win = [10, 50, 100, 80]  # past the border: invalid there
        ref = np.zeros((30, 90), bool)
        ref[:20, :80] = alpha[50:70, 10:90] > 0
        np.testing.assert_array_equal(src.read_valid(win), ref)
        assert not src.read_valid([0, 0, 25, 70]).any()
    # with a 4-channel model the alpha band is data: no silent drop
    with RasterSource(path, InputSpec(channels=4)) as src:
        assert src.bands == [0, 1, 2, 3]
    arr = smooth_scene(64, 80, 2, np.uint16, scale=10000.) + 1
    arr[:10] = 0
    path = write_tif(tmp_path / 'nd.tif', arr)
    with rasterio.open(str(path), 'r+') as ds:
        ds.nodata = 0
    with RasterSource(path) as src:
        assert src.has_mask
        np.testing.assert_array_equal(src.read_valid([0, 0, 80, 64]),
                                      (arr != 0).all(-1))
        np.testing.assert_array_equal(
            src.read_overview(40, masks=True),
            (arr != 0).all(-1)[1::2, 1::2])
    with RasterSource(write_tif(tmp_path / 'plain.tif', arr)) as src:
        assert not src.has_mask and src.read_valid([0, 0, 8, 8]) is None


def test_stretch_ignores_nodata(tmp_path):
    """A uint16 scene with a nodata collar: the percentile stretch is that
    of the valid pixels (the collar does not pull the low end to 0)."""
    arr = (smooth_scene(80, 100, 3, np.uint16, scale=3000.) + 5000)
    arr[:, :40] = 0
    path = write_tif(tmp_path / 'collar.tif', arr)
    with rasterio.open(str(path), 'r+') as ds:
        ds.nodata = 0
    spec = InputSpec(channels=3, bands=[0, 1, 2], uint8=True,
                     rescale='percentile')
    with RasterSource(path, spec) as src:
        lo, hi = src._stats
        valid = arr[:, 40:].reshape(-1, 3).astype(np.float64)
        np.testing.assert_allclose(lo, np.percentile(valid, 2, 0), rtol=1e-6)
        np.testing.assert_allclose(hi, np.percentile(valid, 98, 0),
                                   rtol=1e-6)


def test_band_tagged_alpha_that_is_data(tmp_path):
    """GDAL tags band 4 of any 4-band uint8 GeoTIFF as alpha; an infrared
    band so tagged is data: no mask, no silent drop (a 3-channel model
    asks for --bands)."""
    arr = smooth_scene(60, 70, 4, np.uint8, seed=5)
    arr[:20, :, 3] = 0            # dark water in the infrared band
    path = write_tif(tmp_path / 'rgbn.tif', arr)
    with rasterio.open(str(path)) as ds:
        assert ds.colorinterp[3].name == 'alpha'  # GDAL's default tag
    with RasterSource(path) as src:
        assert src.alpha_band is None and not src.has_mask
    with pytest.raises(ValueError, match=r'rgbn\.tif has 4 band.*--bands'):
        RasterSource(path, InputSpec(channels=3))


def test_gcp_georeference(tmp_path):
    """A scene georeferenced by GCPs only: its CRS is the GCPs' one,
    pixel_to_crs follows GDAL's GCP transformer (here exactly the affine
    the GCPs sample), the class writer copies the GCPs, and a pair with
    other GCPs is refused."""
    from scene_helpers import gcp_affine, gcp_grid, write_gcp_tif
    arr = smooth_scene(120, 150, 3, np.uint8)
    path = write_gcp_tif(tmp_path / 'gcp.tif', arr)
    src = RasterSource(path)
    assert src.crs.to_epsg() == 32650 and len(src.gcps) > 4
    pts = np.random.default_rng(0).uniform(0, 120, (20, 2))
    np.testing.assert_allclose(src.pixel_to_crs(pts),
                               pixel_polygon_to_crs(pts, gcp_affine()),
                               rtol=0, atol=1e-6)
    out = tmp_path / 'cls.tif'
    w = RowStripWriter(out, 150, 120, crs=src.crs, gcps=src.gcps)
    w.write_rows(np.zeros((120, 150), np.uint8))
    w.close()
    with rasterio.open(str(out)) as ds:
        got, crs = ds.gcps
        assert crs.to_epsg() == 32650 and ds.crs is None
        assert [(g.row, g.col, g.x, g.y) for g in got] == \
            [(g.row, g.col, g.x, g.y) for g in src.gcps]
    other = tmp_path / 'other.tif'
    import rasterio as rio
    with rio.open(str(other), 'w', driver='GTiff', width=150, height=120,
                  count=3, dtype='uint8', crs=CRS,
                  gcps=gcp_grid(150, 120, step=40)) as dst:
        dst.write(np.moveaxis(arr, -1, 0))
    with pytest.raises(ValueError, match='ground control points'):
        check_pair(src, RasterSource(other))
    src.close()


def test_float_scene_nan_and_inf_are_invalid(tmp_path):
    """A float32 SAR scene with NaN / inf and no nodata tag (as SAR
    toolboxes export a footprint): those pixels are invalid, read as the
    pad value (a NaN would spread over a whole window through the global
    heat transform), and left out of the stretch statistics."""
    rng = np.random.default_rng(1)
    arr = rng.gamma(1., 100., (90, 120, 2)).astype(np.float32)
    arr[:, :30, 0] = np.nan          # collar
    arr[50:60, 70:80, 1] = np.inf    # a block in one band only
    path = write_tif(tmp_path / 'sar_nan.tif', arr)
    with rasterio.open(str(path)) as ds:
        assert ds.nodata is None
    bad = ~np.isfinite(arr).all(-1)
    with RasterSource(path) as src:
        assert src.has_mask
        np.testing.assert_array_equal(src.read_valid([0, 0, 120, 90]), ~bad)
        v = src.read_valid([100, 40, 140, 70])  # past the border: False
        np.testing.assert_array_equal(v[:, :20], ~bad[40:70, 100:120])
        assert not v[:, 20:].any()
        got = src.read_window([20, 45, 90, 90], pad_value=-3)
        assert np.isfinite(got).all()
        sub = arr[45:90, 20:90]
        np.testing.assert_array_equal(got[bad[45:90, 20:90]], -3)
        np.testing.assert_array_equal(got[~bad[45:90, 20:90]],
                                      sub[~bad[45:90, 20:90]])
        assert src.read_overview(60, masks=True).mean() < 0.8
    spec = InputSpec(channels=2, uint8=True, rescale='minmax')
    with RasterSource(path, spec) as src:
        lo, hi = src._stats
        ok = arr[~bad]
        np.testing.assert_allclose(lo, ok.min(0), rtol=1e-6)
        np.testing.assert_allclose(hi, ok.max(0), rtol=1e-6)
        got = src.read_window([0, 0, 120, 90])
        assert got.dtype == np.uint8 and (got[bad] == 0).all()
    plain = write_tif(tmp_path / 'sar.tif', np.nan_to_num(arr, posinf=0.))
    with RasterSource(plain) as src:  # a finite float scene: all valid
        assert src.read_valid([0, 0, 120, 90]).all()


def test_strip_cache_holds_a_window_row(tmp_path):
    """A file stored in strips (GDAL's default, untiled) asks for a block
    cache that holds the strips of a window row (each strip then decoded
    once per window row, not once per window); a tiled file asks for
    nothing more."""
    arr = smooth_scene(40, 3000, 4, np.uint16, scale=3000.)
    strip = write_tif(tmp_path / 'strip.tif', arr, tiled=False)
    tiled = write_tif(tmp_path / 'tiled.tif', arr)
    with RasterSource(strip) as src:
        assert src._ds.block_shapes[0][1] == 3000
        row = 3000 * 4 * 2  # bytes of one scene row, all bands
        assert 512 * row <= src.strip_cache_mb(512) * 2**20 < 2 * 512 * row
        assert src.strip_cache_mb(1024) > src.strip_cache_mb(512)
    with RasterSource(tiled) as src:
        assert src.strip_cache_mb(512) == 0


def test_read_valid_in_row_chunks(tmp_path):
    """read_valid of a window taller than one ~4 MiB read (it goes in row
    chunks) equals the mask computed from the whole array: nodata value
    and NaN together."""
    rng = np.random.default_rng(3)
    arr = rng.gamma(1., 100., (700, 1600, 1)).astype(np.float32)
    arr[rng.random((700, 1600)) < 0.05] = -1.
    arr[300:420, 100:900] = np.nan
    path = write_tif(tmp_path / 'big.tif', arr)
    with rasterio.open(str(path), 'r+') as ds:
        ds.nodata = -1.
    ref = (arr[..., 0] != -1.) & np.isfinite(arr[..., 0])
    with RasterSource(path) as src:
        assert src._flags_mask and src._floating
        np.testing.assert_array_equal(
            src.read_valid([0, 0, 1600, 700]), ref)  # 655 rows a chunk
        np.testing.assert_array_equal(
            src.read_valid([-5, 690, 1600, 705])[:10, 5:], ref[690:, :])
