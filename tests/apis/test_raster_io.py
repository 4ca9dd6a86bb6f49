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
