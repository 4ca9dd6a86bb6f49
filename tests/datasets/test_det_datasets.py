"""DIOR-HBB, SAR-AIRcraft-1.0 and FAIR1M dataset classes.

Real tiles (``../shared/data/dior``, ``../shared/data/dota``) must parse
exactly; the other formats are checked on small files written here.
"""
import shutil

import cv2
import numpy as np
import pytest

pytest.importorskip('mmdet')
pytest.importorskip('mmrotate')

from rsvheat_mm.datasets.dior import DIOR_CLASSES, DIORHBBDataset  # noqa
from rsvheat_mm.datasets.fair1m import FAIR1M_CLASSES, FAIR1MDataset  # noqa
from rsvheat_mm.datasets.sar_aircraft import SARAircraftDataset  # noqa
from rsvheat_mm.datasets.annotations import AnnotationError  # noqa

DOTA_CLASSES = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field',
                'small-vehicle', 'large-vehicle', 'ship', 'tennis-court',
                'basketball-court', 'storage-tank', 'soccer-ball-field',
                'roundabout', 'harbor', 'swimming-pool', 'helicopter')
DOTA_TILE = [[359, 663, 369, 497, 543, 509, 531, 677],
             [540, 884, 363, 862, 392, 674, 570, 695],
             [788, 844, 734, 701, 916, 631, 970, 762],
             [720, 726, 668, 583, 852, 494, 913, 636]]


def _ids(ds):
    return [ds.get_data_info(i)['img_id'] for i in range(len(ds))]


def _load_tool(rel):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / 'tools' / rel
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _voc(objs, size=(640, 480, 1)):
    w, h, d = size
    body = ''.join(
        f'<object><name>{n}</name><difficult>{dif}</difficult><bndbox>'
        f'<xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax>'
        f'<ymax>{b[3]}</ymax></bndbox></object>' for n, b, dif in objs)
    return (f'<annotation><size><width>{w}</width><height>{h}</height>'
            f'<depth>{d}</depth></size>{body}</annotation>')


# ------------------------------------------------------------------ DIOR
def test_dior_real_tile(shared_data):
    ds = DIORHBBDataset(
        data_root=str(shared_data / 'dior'), ann_file='',
        data_prefix=dict(img_path='JPEGImages',
                         ann_path='Annotations/Oriented Bounding Boxes'),
        test_mode=True, pipeline=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadAnnotations', with_bbox=True),
            dict(type='mmdet.PackDetInputs')])
    assert len(ds) == 1 and len(ds.metainfo['classes']) == 20
    info = ds.get_data_info(0)
    assert info['img_id'] == '00001'
    assert (info['width'], info['height']) == (800, 800)
    (inst, ) = info['instances']
    assert inst['bbox'] == [133., 237., 684., 672.]
    assert inst['bbox_label'] == DIOR_CLASSES.index('golffield') == 9
    assert inst['ignore_flag'] == 0 and inst['difficult'] == 0
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 800, 800)
    np.testing.assert_array_equal(
        out['data_samples'].gt_instances.bboxes.numpy(),
        [[133, 237, 684, 672]])


def test_dior_matches_mmrotate_classes():
    from mmrotate.datasets import DIORDataset
    assert DIORDataset.METAINFO['classes'] == DIOR_CLASSES


def test_dior_list_difficult_alias(tmp_path):
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'sets').mkdir()
    (tmp_path / 'ann' / '00007.xml').write_text(_voc(
        [('Expressway-Service-area', (1, 2, 30, 40), 0),
         ('ship', (5.5, 6, 9, 12), 1)], size=(800, 800, 3)))
    (tmp_path / 'ann' / '00008.xml').write_text(_voc([], (800, 800, 3)))
    (tmp_path / 'sets' / 'test.txt').write_text('00007\n\n')
    ds = DIORHBBDataset(data_root=str(tmp_path), ann_file='sets/test.txt',
                        data_prefix=dict(img_path='img', ann_path='ann'),
                        test_mode=True, lazy_init=False)
    assert len(ds) == 1
    inst = ds.get_data_info(0)['instances']
    assert [i['bbox_label'] for i in inst] == [
        DIOR_CLASSES.index('expressway-service-area'),
        DIOR_CLASSES.index('ship')]
    assert [i['ignore_flag'] for i in inst] == [0, 1]
    assert inst[1]['bbox'] == [5.5, 6., 9., 12.]
    # filter_empty_gt drops 00008 (no objects) when listing every XML
    train = DIORHBBDataset(data_root=str(tmp_path), ann_file='',
                           data_prefix=dict(img_path='img', ann_path='ann'),
                           filter_cfg=dict(filter_empty_gt=True))
    assert _ids(train) == ['00007']
    keep = DIORHBBDataset(data_root=str(tmp_path), ann_file='',
                          data_prefix=dict(img_path='img', ann_path='ann'),
                          use_difficult=True, test_mode=True)
    assert len(keep) == 2
    assert keep.get_data_info(0)['instances'][1]['ignore_flag'] == 0


# ----------------------------------------------------------- SAR-AIRcraft
def test_sar_aircraft_grayscale(tmp_path):
    (tmp_path / 'Annotations').mkdir()
    (tmp_path / 'JPEGImages').mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(tmp_path / 'JPEGImages' / '0001.jpg'),
                rng.integers(0, 255, (480, 640), dtype=np.uint8))
    (tmp_path / 'Annotations' / '0001.xml').write_text(_voc(
        [('A320', (10, 20, 110, 90), 0), ('Boeing787', (200, 30, 260, 95),
                                          0), ('other', (1, 1, 9, 9), 1)]))
    ds = SARAircraftDataset(
        data_root=str(tmp_path), test_mode=True, pipeline=[
            dict(type='mmdet.LoadImageFromFile', color_type='grayscale'),
            dict(type='mmdet.LoadAnnotations', with_bbox=True),
            dict(type='mmdet.PackDetInputs')])
    info = ds.get_data_info(0)
    assert [i['bbox_label'] for i in info['instances']] == [1, 5, 6]
    assert [i['ignore_flag'] for i in info['instances']] == [0, 0, 1]
    out = ds[0]
    assert tuple(out['inputs'].shape) == (1, 480, 640)
    assert len(out['data_samples'].gt_instances) == 2
    assert len(out['data_samples'].ignored_instances) == 1


# ----------------------------------------------------------------- FAIR1M
FAIR_XML = """<annotation><source><filename>{stem}.tif</filename></source>
<size><width>1000</width><height>1000</height></size><objects>{objs}
</objects></annotation>"""
FAIR_OBJ = ('<object><possibleresult><name>{name}</name></possibleresult>'
            '<points>{pts}</points></object>')


def _fair_xml(stem, objs):
    body = ''.join(FAIR_OBJ.format(
        name=n, pts=''.join(f'<point>{x},{y}</point>'
                            for x, y in list(p) + [p[0]]))
        for n, p in objs)
    return FAIR_XML.format(stem=stem, objs=body)


def test_fair1m_xml_and_converted_txt(tmp_path):
    xml_dir = tmp_path / 'labelXml'
    xml_dir.mkdir()
    objs = [('Small Car', [(10, 20), (30, 20), (30, 40), (10, 40)]),
            ('Boeing737', [(100, 200), (180, 230), (160, 290), (80, 260)])]
    (xml_dir / '3.xml').write_text(_fair_xml('3', objs))
    ds = FAIR1MDataset(ann_format='xml', data_root=str(tmp_path),
                       ann_file='labelXml', img_suffix='tif',
                       data_prefix=dict(img_path='images'))
    info = ds.get_data_info(0)
    assert info['img_id'] == '3' and info['img_path'].endswith('3.tif')
    labels = [i['bbox_label'] for i in info['instances']]
    assert labels == [FAIR1M_CLASSES.index('Small Car'),
                      FAIR1M_CLASSES.index('Boeing737')]
    assert info['instances'][1]['bbox'] == [100, 200, 180, 230, 160, 290, 80,
                                            260]
    # XML -> DOTA txt (converter) -> txt dataset gives the same infos
    convert = _load_tool('dataset_converters/fair1m_to_dota.py').convert
    assert convert(str(xml_dir), str(tmp_path / 'labelTxt')) == 1
    assert 'Small_Car' in (tmp_path / 'labelTxt' / '3.txt').read_text()
    txt = FAIR1MDataset(data_root=str(tmp_path), ann_file='labelTxt',
                        img_suffix='tif', data_prefix=dict(img_path='images'))
    assert txt.get_data_info(0)['instances'] == info['instances']


def test_dota_real_tile_with_fair1m_class_and_mmrotate(shared_data):
    from mmrotate.datasets import DOTADataset
    kw = dict(data_root=str(shared_data / 'dota'), ann_file='labelTxt/',
              data_prefix=dict(img_path='images/'))
    # the shared image is a 170 px thumbnail of a tile whose labels are in
    # 1024 px: the bounds check (on by default, tested below) would refuse it
    ours = FAIR1MDataset(metainfo=dict(classes=DOTA_CLASSES),
                         check_bounds=False, **kw)
    theirs = DOTADataset(**kw)
    a, b = ours.get_data_info(0), theirs.get_data_info(0)
    assert a['img_id'] == b['img_id'] == 'P2805__1024__0___0'
    assert a['img_path'] == b['img_path']
    assert [i['bbox'] for i in a['instances']] == DOTA_TILE
    assert [i['bbox_label'] for i in a['instances']] == [0] * 4
    assert [i['ignore_flag'] for i in a['instances']] == [0] * 4
    assert a['instances'] == b['instances']


def test_fair1m_test_mode_lists_images(shared_data, tmp_path):
    ds = FAIR1MDataset(data_root=str(shared_data / 'dota'), ann_file='',
                       data_prefix=dict(img_path='images/'), test_mode=True)
    assert _ids(ds) == ['P2805__1024__0___0']
    with pytest.raises(FileNotFoundError, match='Image folder'):
        FAIR1MDataset(data_root=str(tmp_path), ann_file='',
                      data_prefix=dict(img_path='none/'), test_mode=True)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize('cls,kw', [
    (DIORHBBDataset, dict(data_prefix=dict(ann_path='missing'))),
    (SARAircraftDataset, dict(data_prefix=dict(ann_path='missing'))),
    (FAIR1MDataset, dict(ann_file='missing/')),
])
def test_missing_annotation_folder(tmp_path, cls, kw):
    with pytest.raises(FileNotFoundError, match=r'missing.*does not exist'):
        cls(data_root=str(tmp_path), **kw)


def test_missing_image_list(tmp_path):
    (tmp_path / 'Annotations').mkdir()
    with pytest.raises(FileNotFoundError, match=r'train\.txt.*does not'):
        SARAircraftDataset(data_root=str(tmp_path),
                           ann_file='ImageSets/Main/train.txt')


@pytest.mark.parametrize('cls,fmt', [(DIORHBBDataset, 'voc'),
                                     (SARAircraftDataset, 'voc'),
                                     (FAIR1MDataset, 'xml')])
def test_corrupt_xml_names_file(tmp_path, cls, fmt):
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'ann' / 'bad_one.xml').write_text('<annotation><object>')
    kw = dict(ann_format='xml', ann_file='ann') if cls is FAIR1MDataset \
        else dict(data_prefix=dict(ann_path='ann'))
    with pytest.raises(AnnotationError, match=r'bad_one\.xml.*corrupt'):
        cls(data_root=str(tmp_path), **kw)


def test_unknown_class_names_file(tmp_path, shared_data):
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'ann' / 'u1.xml').write_text(_voc([('zeppelin', (1, 1, 5, 5),
                                                    0)]))
    for cls in (DIORHBBDataset, SARAircraftDataset):
        with pytest.raises(AnnotationError,
                           match=r"u1\.xml: unknown class name 'zeppelin'"):
            cls(data_root=str(tmp_path), data_prefix=dict(ann_path='ann'))
    # the real DOTA tile has 'plane', which is not a FAIR1M class
    with pytest.raises(AnnotationError,
                       match=r"P2805__1024__0___0\.txt: unknown class name "
                       r"'plane'"):
        FAIR1MDataset(data_root=str(shared_data / 'dota'),
                      ann_file='labelTxt/')
    shutil.rmtree(tmp_path / 'ann')
