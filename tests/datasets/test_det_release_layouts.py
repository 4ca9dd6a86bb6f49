"""Detection datasets as released, and the checked parsers (issue 12 items
4, 5, 7; issue 16 items 6, 7; issue 17 item 5)."""
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmdet')
pytest.importorskip('mmrotate')

import rsvheat_mm  # noqa: F401,E402
from rsvheat_mm.datasets.annotations import AnnotationError  # noqa: E402
from rsvheat_mm.datasets.class_names import (  # noqa: E402
    DIOR_CLASSES, DOTA_V1_CLASSES, SAR_AIRCRAFT_CLASSES)
from rsvheat_mm.datasets.dior import DIORHBBDataset  # noqa: E402
from rsvheat_mm.datasets.dota import CheckedDOTADataset  # noqa: E402


def _voc_xml(objs, size=None):
    """VOC XML as SAR-AIRcraft-1.0 ships it: no <filename>, no <depth>."""
    body = ''.join(
        f'<object><name>{n}</name><pose>Unspecified</pose><truncated>0'
        f'</truncated><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin>'
        f'<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax>'
        f'</bndbox></object>' for n, b, d in objs)
    head = '' if size is None else (
        f'<size><width>{size[0]}</width><height>{size[1]}</height></size>')
    return f'<annotation><folder>JPEGImages</folder>{head}{body}</annotation>'


def _sar_release(root: Path, seed=0):
    """SAR-AIRcraft-1.0 layout: 7-digit single-channel JPEGs, VOC XML,
    ImageSets/Main/{train,val,test}.txt."""
    rng = np.random.default_rng(seed)
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'Annotations').mkdir()
    (root / 'ImageSets' / 'Main').mkdir(parents=True)
    ids = [f'{k:07d}' for k in range(1, 7)]
    for k, sid in enumerate(ids):
        img = rng.gamma(1.0, 25.0, (48, 64)).clip(0, 255).astype(np.uint8)
        assert cv2.imwrite(str(root / 'JPEGImages' / f'{sid}.jpg'), img)
        name = SAR_AIRCRAFT_CLASSES[k % 7]
        (root / 'Annotations' / f'{sid}.xml').write_text(
            _voc_xml([(name, (3, 4, 20 + k, 30), 0)], (64, 48)))
    for split, part in (('train', ids[:3]), ('val', ids[3:5]),
                        ('test', ids[5:])):
        (root / 'ImageSets' / 'Main' / f'{split}.txt').write_text(
            '\n'.join(part) + '\n')
    return ids


SAR_PIPELINE = [dict(type='LoadImageFromFile', color_type='grayscale'),
                dict(type='LoadAnnotations', with_bbox=True),
                dict(type='PackDetInputs')]


def test_sar_aircraft_release_layout(tmp_path):
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    ids = _sar_release(tmp_path)
    sizes = {}
    for split in ('train', 'val', 'test'):
        ds = DATASETS.build(dict(
            type='SARAircraftDataset', data_root=str(tmp_path),
            ann_file=f'ImageSets/Main/{split}.txt', pipeline=SAR_PIPELINE,
            test_mode=split == 'test'))
        sizes[split] = len(ds)
        assert ds.metainfo['classes'] == SAR_AIRCRAFT_CLASSES
        out = ds[0]
        assert out['inputs'].shape == (1, 48, 64)  # one SAR channel
        assert out['inputs'].dtype.is_floating_point is False
        k = ids.index(out['data_samples'].img_id)
        assert out['data_samples'].gt_instances.labels.tolist() == [k % 7]
    assert sizes == {'train': 3, 'val': 2, 'test': 1}


def test_dior_names_match_case_insensitively(tmp_path):
    """Issue 12 item 5: every class in any casing; unknown still an error."""
    (tmp_path / 'ann').mkdir()
    spellings = ['Expressway-Service-area', 'Expressway-toll-station',
                 'AirPlane', 'GroundTrackField', 'STORAGETANK', 'windmill']
    (tmp_path / 'ann' / '00001.xml').write_text(_voc_xml(
        [(n, (1, 2, 30, 40), 0) for n in spellings]))
    ds = DIORHBBDataset(data_root=str(tmp_path),
                        data_prefix=dict(ann_path='ann'))
    labels = [i['bbox_label'] for i in ds.get_data_info(0)['instances']]
    assert [DIOR_CLASSES[i] for i in labels] == [s.lower()
                                                 for s in spellings]
    (tmp_path / 'ann' / '00002.xml').write_text(_voc_xml(
        [('Expressway-Rest-Area', (1, 2, 3, 4), 0)]))
    with pytest.raises(AnnotationError, match=r"00002\.xml: unknown class "
                       r"name 'Expressway-Rest-Area'"):
        DIORHBBDataset(data_root=str(tmp_path),
                       data_prefix=dict(ann_path='ann'))


def test_dior_xmin_greater_than_xmax_is_an_error(tmp_path):
    """Issue 16 item 6: no negative-width training box."""
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'ann' / '00003.xml').write_text(_voc_xml(
        [('airplane', (50, 2, 30, 40), 0)]))
    with pytest.raises(AnnotationError,
                       match=r'00003\.xml: <object> #0 \(airplane\) has '
                       r'xmin > xmax'):
        DIORHBBDataset(data_root=str(tmp_path),
                       data_prefix=dict(ann_path='ann'))


def _dota(root: Path, lines, size=(200, 200), stem='P0001'):
    (root / 'images').mkdir(parents=True, exist_ok=True)
    (root / 'annfiles').mkdir(exist_ok=True)
    assert cv2.imwrite(str(root / 'images' / f'{stem}.png'),
                       np.zeros((size[1], size[0], 3), np.uint8))
    (root / 'annfiles' / f'{stem}.txt').write_text('\n'.join(lines) + '\n')


def test_checked_dota_errors_name_file_and_line(tmp_path):
    """Issue 16 item 7: what mmrotate's DOTADataset reports as a bare
    ValueError / KeyError / IndexError names the file and the line."""
    kw = dict(data_root=str(tmp_path), ann_file='annfiles/',
              data_prefix=dict(img_path='images/'))
    good = '10 10 50 10 50 40 10 40 plane 0'
    _dota(tmp_path, [good, '10 10 50 10 50 40 10 40 small-vehicle'])
    ds = CheckedDOTADataset(**kw)  # a missing difficult flag is 0
    inst = ds.get_data_info(0)['instances']
    assert [i['bbox_label'] for i in inst] == [0, 4]
    assert ds.metainfo['classes'] == DOTA_V1_CLASSES
    cases = [('plane 10 10 50 10 50 40 10 40 0', r'P0001\.txt:2: '
              r'non-numeric'),
             ('10 10 50 10 50 40 10 40 spaceship 0',
              r"P0001\.txt: unknown class name 'spaceship' \(line 2\)"),
             ('10 10 50 10 plane', r'P0001\.txt:2: expected'),
             ('300 300 350 300 350 340 300 340 plane 0',
              r'P0001\.txt:2: 1 object\(s\) lie wholly outside the 200x200')]
    for line, msg in cases:
        _dota(tmp_path, [good, line])
        with pytest.raises(AnnotationError, match=msg):
            CheckedDOTADataset(**kw)


@pytest.mark.parametrize('cls,kw,command', [
    ('CheckedDOTADataset', dict(ann_file='trainval/annfiles/',
                                data_prefix=dict(img_path='trainval/images/')),
     r'split_large_images\.py --img-dir data/DOTA/train/images'),
    ('FAIR1MDataset', dict(ann_file='train/annfiles/',
                           data_prefix=dict(img_path='train/images/')),
     r'split_large_images\.py --ann-format fair1m'),
    ('DIORHBBDataset', dict(ann_file='ImageSets/Main/train.txt'),
     r'unzip the release archives'),
    ('SARAircraftDataset', dict(ann_file='ImageSets/Main/train.txt'),
     r'SAR-AIRcraft-1\.0'),
])
def test_missing_det_data_names_layout_and_command(tmp_path, cls, kw,
                                                    command):
    """Issue 17 item 5 (DOTA): not mmrotate's "There is no txt file"."""
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmdet')  # the scoped type finds our classes
    with pytest.raises(FileNotFoundError,
                       match=r'does not exist.*Expected .*layout.*' +
                       command):
        DATASETS.build(dict(type=f'rsvheat_mm.{cls}',
                            data_root=str(tmp_path / 'absent'), **kw))


def test_thumbnail_labels_refused_unless_resized_to_their_frame(
        shared_data):
    """Issue 16 item 6: the shared 170 px DOTA thumbnail with 1024 px
    labels is refused, and accepted with ResizeToAnnotationFrame(1024)."""
    kw = dict(data_root=str(shared_data / 'dota'), ann_file='labelTxt/',
              data_prefix=dict(img_path='images/'))
    with pytest.raises(AnnotationError, match=r'P2805__1024__0___0\.txt:1: '
                       r'4 object\(s\) lie wholly outside the 170x170'):
        CheckedDOTADataset(**kw)
    ds = CheckedDOTADataset(pipeline=[
        dict(type='mmdet.LoadImageFromFile'),
        dict(type='rsvheat_mm.ResizeToAnnotationFrame', frame_size=1024)],
        **kw)
    assert len(ds.get_data_info(0)['instances']) == 4
