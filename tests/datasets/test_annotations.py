"""Annotation readers/writers on the real tiles and on small written files."""
import numpy as np
import pytest

from rsvheat_mm.datasets.annotations import (AnnotationError, check_class_names,
                                        decode_class_name, encode_class_name,
                                        list_annotation_ids, parse_dota_txt,
                                        parse_fair1m_xml, parse_voc_xml,
                                        poly_to_hbox, write_dota_txt)

DOTA_TILE = [
    ([359, 663, 369, 497, 543, 509, 531, 677], 'plane', 0),
    ([540, 884, 363, 862, 392, 674, 570, 695], 'plane', 0),
    ([788, 844, 734, 701, 916, 631, 970, 762], 'plane', 0),
    ([720, 726, 668, 583, 852, 494, 913, 636], 'plane', 0),
]

FAIR1M_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <source><filename>7.tif</filename><origin>GF2/GF3</origin></source>
  <size><width>1000</width><height>800</height><depth>3</depth></size>
  <objects>
    <object><coordinate>pixel</coordinate><type>rectangle</type>
      <description>None</description>
      <possibleresult><name>Small Car</name></possibleresult>
      <points><point>10.5,20.0</point><point>30.0,20.0</point>
        <point>30.0,40.25</point><point>10.5,40.25</point>
        <point>10.5,20.0</point></points></object>
    <object><coordinate>pixel</coordinate><type>rectangle</type>
      <description>None</description>
      <possibleresult><name>Boeing737</name></possibleresult>
      <points><point>100,200</point><point>180,230</point>
        <point>160,290</point><point>80,260</point>
        <point>100,200</point></points></object>
  </objects>
</annotation>
"""

VOC_XML = """<annotation><filename>a1.jpg</filename>
  <size><width>1200</width><height>900</height><depth>1</depth></size>
  <object><name>A220</name><difficult>0</difficult>
    <bndbox><xmin>12</xmin><ymin>30</ymin><xmax>70</xmax><ymax>95</ymax>
    </bndbox></object>
  <object><name>Boeing787</name><difficult>1</difficult>
    <bndbox><xmin>300.5</xmin><ymin>400</ymin><xmax>380</xmax>
    <ymax>470</ymax></bndbox></object>
</annotation>
"""


def test_parse_real_dota_tile(shared_data):
    objs, meta = parse_dota_txt(
        str(shared_data / 'dota/labelTxt/P2805__1024__0___0.txt'))
    assert meta == {}
    assert len(objs) == len(DOTA_TILE)
    for obj, (poly, name, diff) in zip(objs, DOTA_TILE):
        np.testing.assert_array_equal(obj['poly'], np.float32(poly))
        assert obj['name'] == name and obj['difficult'] == diff


def test_parse_real_dior_robndbox(shared_data):
    ann = parse_voc_xml(str(
        shared_data / 'dior/Annotations/Oriented Bounding Boxes/00001.xml'))
    assert (ann['filename'], ann['width'], ann['height']) == ('00001.jpg',
                                                              800, 800)
    (obj, ) = ann['objects']
    assert obj['name'] == 'golffield' and obj['difficult'] == 0
    np.testing.assert_array_equal(
        obj['poly'], np.float32([133, 237, 684, 237, 684, 672, 133, 672]))
    np.testing.assert_array_equal(obj['hbox'], np.float32([133, 237, 684,
                                                           672]))


def test_parse_voc_bndbox(tmp_path):
    path = tmp_path / 'a1.xml'
    path.write_text(VOC_XML)
    ann = parse_voc_xml(str(path))
    assert (ann['width'], ann['height']) == (1200, 900)
    names = [o['name'] for o in ann['objects']]
    assert names == ['A220', 'Boeing787']
    assert [o['difficult'] for o in ann['objects']] == [0, 1]
    np.testing.assert_array_equal(ann['objects'][1]['hbox'],
                                  np.float32([300.5, 400, 380, 470]))
    np.testing.assert_array_equal(poly_to_hbox(ann['objects'][0]['poly']),
                                  np.float32([12, 30, 70, 95]))


def test_parse_fair1m(tmp_path):
    path = tmp_path / '7.xml'
    path.write_text(FAIR1M_XML)
    ann = parse_fair1m_xml(str(path))
    assert (ann['filename'], ann['width'], ann['height']) == ('7.tif', 1000,
                                                              800)
    assert [o['name'] for o in ann['objects']] == ['Small Car', 'Boeing737']
    np.testing.assert_array_equal(
        ann['objects'][0]['poly'],
        np.float32([10.5, 20, 30, 20, 30, 40.25, 10.5, 40.25]))


def test_dota_txt_roundtrip_with_spaces(tmp_path):
    rng = np.random.default_rng(0)
    objs = [dict(poly=rng.uniform(0, 1000, 8).astype(np.float32),
                 name=n, difficult=d)
            for n, d in [('Small Car', 0), ('Truck Tractor', 1),
                         ('other-ship', 2)]]
    path = tmp_path / 'x' / 'a.txt'
    write_dota_txt(str(path), objs, meta={'imagesource': 'GF2', 'gsd': '0.8'},
                   precision=3)
    back, meta = parse_dota_txt(str(path))
    assert meta == {'imagesource': 'GF2', 'gsd': '0.8'}
    assert [decode_class_name(o['name']) for o in back] == [
        'Small Car', 'Truck Tractor', 'other-ship']
    assert [o['difficult'] for o in back] == [0, 1, 2]
    for a, b in zip(objs, back):
        np.testing.assert_allclose(a['poly'], b['poly'], atol=6e-4)
    assert encode_class_name('Small Car') == 'Small_Car'


def test_bad_dota_line_names_file_and_line(tmp_path):
    path = tmp_path / 'bad.txt'
    path.write_text('1 2 3 4 5 6 7 8 plane 0\n1 2 3 4 5 6 7 8 Small Car 0\n')
    with pytest.raises(AnnotationError, match=r'bad\.txt:2'):
        parse_dota_txt(str(path))
    path.write_text('1 2 3 4 5 6 x 8 plane 0\n')
    with pytest.raises(AnnotationError, match=r'bad\.txt:1.*non-numeric'):
        parse_dota_txt(str(path))


def test_corrupt_xml_names_file(tmp_path):
    path = tmp_path / 'broken.xml'
    path.write_text('<annotation><object><name>plane</name>')
    with pytest.raises(AnnotationError, match=r'broken\.xml.*corrupt XML'):
        parse_voc_xml(str(path))
    with pytest.raises(AnnotationError, match=r'broken\.xml.*corrupt XML'):
        parse_fair1m_xml(str(path))


def test_object_without_box(tmp_path):
    path = tmp_path / 'nobox.xml'
    path.write_text('<annotation><object><name>ship</name></object>'
                    '</annotation>')
    with pytest.raises(AnnotationError, match=r'nobox\.xml.*neither'):
        parse_voc_xml(str(path))


def test_unknown_class_and_missing_folder(tmp_path):
    objs = [dict(poly=np.zeros(8), name='zeppelin', difficult=0)]
    with pytest.raises(AnnotationError, match=r"a\.xml: unknown class name "
                       r"'zeppelin'"):
        check_class_names(objs, ('plane', ), 'a.xml')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        list_annotation_ids(str(tmp_path / 'nope'), '.xml')
