"""tools/dataset_converters/split_large_images.py as a user runs it (in a
subprocess, from outside the repository): FAIR1M-2.0's folder pairs in one
call, and every bad input stopped before anything is written (issue 12
item 3, issue 16 item 6)."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/dataset_converters/split_large_images.py'

FAIR_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation><source><filename>{stem}.tif</filename><origin>GF2/GF3</origin>
</source><research><version>2.0</version></research>
<size><width>{w}</width><height>{h}</height><depth>3</depth></size>
<objects>{objs}</objects></annotation>"""
FAIR_OBJ = ('<object><coordinate>pixel</coordinate><type>rectangle</type>'
            '<description>None</description><possibleresult><name>{name}'
            '</name></possibleresult><points>{pts}</points></object>')


def _fair_xml(stem, objs, w, h):
    body = ''.join(FAIR_OBJ.format(name=n, pts=''.join(
        f'<point>{x:.6f},{y:.6f}</point>' for x, y in p + [p[0]]))
        for n, p in objs)
    return FAIR_XML.format(stem=stem, objs=body, w=w, h=h)


def _fair1m_release(root: Path):
    """FAIR1M-2.0: train/part1, train/part2, validation (images N.tif,
    labelXml N.xml), test/images."""
    rng = np.random.default_rng(0)
    parts = {'train/part1': ['1', '2'], 'train/part2': ['3'],
             'validation': ['4'], 'test': ['5']}
    for part, stems in parts.items():
        (root / part / 'images').mkdir(parents=True)
        if part != 'test':
            (root / part / 'labelXml').mkdir()
        for s in stems:
            img = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
            assert cv2.imwrite(str(root / part / 'images' / f'{s}.tif'), img)
            if part != 'test':
                box = [(20., 30.), (90., 30.), (90., 70.), (20., 70.)]
                (root / part / 'labelXml' / f'{s}.xml').write_text(
                    _fair_xml(s, [('Small Car', box),
                                  ('Boeing737', [(x + 250, y + 150)
                                                 for x, y in box])],
                              400, 300))
    return root


def _run(args, cwd):
    return subprocess.run([sys.executable, str(TOOL)] + [str(a) for a in
                                                         args],
                          cwd=str(cwd), capture_output=True, text=True)


def _pairs(root, parts):
    return (['--img-dir'] + [root / p / 'images' for p in parts] +
            ['--ann-dir'] + [root / p / 'labelXml' for p in parts])


def test_fair1m_parts_in_one_call_and_dataset_reads_them(tmp_path):
    root = _fair1m_release(tmp_path / 'FAIR1M2.0')
    out = tmp_path / 'split' / 'train'
    res = _run(['--ann-format', 'fair1m', '--patch-size', '256', '--gap',
                '56', '--out-dir', out] +
               _pairs(root, ['train/part1', 'train/part2']), tmp_path)
    assert res.returncode == 0, res.stderr
    names = sorted(p.stem for p in (out / 'annfiles').iterdir())
    assert names == sorted(p.stem for p in (out / 'images').iterdir())
    assert {n.split('__')[0] for n in names} == {'1', '2', '3'}
    # 400 x 300 with 256 / gap 56: x 0, 144; y 0, 44 -> 4 tiles per image
    assert len(names) == 12 and '3__256__144___44' in names
    assert not (tmp_path / 'split' / 'train.partial').exists()
    pytest.importorskip('mmrotate')
    import rsvheat_mm  # noqa: F401
    from rsvheat_mm.datasets.fair1m import FAIR1M_CLASSES, FAIR1MDataset
    ds = FAIR1MDataset(data_root=str(out), ann_file='annfiles/',
                       data_prefix=dict(img_path='images/'))
    assert len(ds) == 12
    info = next(ds.get_data_info(i) for i in range(12)
                if ds.get_data_info(i)['img_id'] == '1__256__0___0')
    assert [FAIR1M_CLASSES[i['bbox_label']] for i in info['instances']] == \
        ['Small Car']
    np.testing.assert_allclose(info['instances'][0]['bbox'],
                               [20, 30, 90, 30, 90, 70, 20, 70])


def test_fair1m_pair_with_mismatched_names(tmp_path):
    root = _fair1m_release(tmp_path / 'FAIR1M2.0')
    out = tmp_path / 'out'
    # part1 images with part2 labels: the names do not match
    res = _run(['--ann-format', 'fair1m', '--out-dir', out, '--img-dir',
                root / 'train/part1/images', '--ann-dir',
                root / 'train/part2/labelXml'], tmp_path)
    assert res.returncode != 0
    assert "Annotations without an image: ['3']" in res.stderr
    assert "images without an annotation: ['1', '2']" in res.stderr
    assert 'Nothing was written' in res.stderr
    assert not out.exists()


def _dota_pair(root: Path, labels: dict, size=(400, 300)):
    (root / 'images').mkdir(parents=True, exist_ok=True)
    (root / 'labelTxt').mkdir(exist_ok=True)
    for stem, lines in labels.items():
        if lines is not None:
            (root / 'labelTxt' / f'{stem}.txt').write_text('\n'.join(lines))
        assert cv2.imwrite(str(root / 'images' / f'{stem}.png'),
                           np.zeros((size[1], size[0], 3), np.uint8))


PLANE = '10 10 60 10 60 50 10 50 plane 0'


@pytest.mark.parametrize('case', ['image_without_ann', 'ann_without_image',
                                  'unknown_class', 'outside_image'])
def test_bad_input_stops_before_writing(tmp_path, case):
    src = tmp_path / 'DOTA'
    _dota_pair(src, {'P0001': [PLANE], 'P0002': [PLANE]})
    if case == 'image_without_ann':
        (src / 'labelTxt' / 'P0002.txt').unlink()
        msg = "images without an annotation: ['P0002']"
    elif case == 'ann_without_image':
        (src / 'images' / 'P0002.png').unlink()
        msg = "Annotations without an image: ['P0002']"
    elif case == 'unknown_class':
        (src / 'labelTxt' / 'P0002.txt').write_text(
            PLANE + '\n10 10 60 10 60 50 10 50 spaceship 0\n')
        msg = "P0002.txt: unknown class name 'spaceship' (line 2)"
    else:
        (src / 'labelTxt' / 'P0002.txt').write_text(
            '500 400 560 400 560 450 500 450 plane 0\n')
        msg = 'P0002.txt: 1 of 1 objects lie wholly outside the 400x300'
    out = tmp_path / 'out'
    res = _run(['--img-dir', src / 'images', '--ann-dir', src / 'labelTxt',
                '--out-dir', out, '--patch-size', '256', '--gap', '56'],
               tmp_path)
    assert res.returncode != 0
    assert msg in res.stderr, res.stderr
    assert not out.exists() and not Path(str(out) + '.partial').exists()


def test_small_image_with_labels_of_a_larger_frame(shared_data, tmp_path):
    """The shared 170 px DOTA thumbnail with 1024 px labels is refused (its
    boxes would sit on padding); --out-of-image drop warns and drops."""
    dota = shared_data / 'dota'
    args = ['--img-dir', dota / 'images', '--ann-dir', dota / 'labelTxt',
            '--patch-size', '512', '--gap', '100']
    res = _run(args + ['--out-dir', tmp_path / 'a'], tmp_path)
    assert res.returncode != 0
    assert 'P2805__1024__0___0.txt: 4 of 4 objects lie wholly outside the ' \
        '170x170 image' in res.stderr
    assert 'thumbnail' in res.stderr and not (tmp_path / 'a').exists()
    res = _run(args + ['--out-dir', tmp_path / 'b', '--out-of-image',
                       'drop'], tmp_path)
    assert res.returncode == 0, res.stderr
    assert 'Dropped' in res.stderr
    (ann, ) = (tmp_path / 'b' / 'annfiles').iterdir()
    assert ann.read_text() == ''


def test_devkit_mode_and_output_never_inside_input(tmp_path):
    src = tmp_path / 'DOTA'
    # a plane cut to 56 % by the second window (x from 144): kept by the kit
    # with difficulty 2, dropped by mmrotate
    _dota_pair(src, {'P0001': ['100 10 200 10 200 50 100 50 plane 0']})
    base = ['--img-dir', src / 'images', '--ann-dir', src / 'labelTxt',
            '--patch-size', '256', '--gap', '56']
    for mode, expect in (('devkit', ['2']), ('mmrotate', [])):
        out = tmp_path / mode
        res = _run(base + ['--out-dir', out, '--mode', mode], tmp_path)
        assert res.returncode == 0, res.stderr
        lines = (out / 'annfiles' / 'P0001__256__144___0.txt').read_text() \
            .split('\n')
        assert [ln.split()[-1] for ln in lines if ln] == expect
    res = _run(base + ['--out-dir', src / 'images' / 'tiles'], tmp_path)
    assert res.returncode != 0 and 'never writes into its own inputs' in \
        res.stderr


def test_merge_reads_devkit_rate_tile_ids():
    """Issue 12 item 6: the kit writes the rate in the middle field."""
    from rsvheat_mm.utils.patch.split import parse_tile_id
    assert parse_tile_id('P0001__0.5__0___0') == ('P0001', 0, 0, 0.5)
    assert parse_tile_id('P0001__1__824___0') == ('P0001', 824, 0, 1.0)
    assert parse_tile_id('P0001__1.5__10___20') == ('P0001', 10, 20, 1.5)
    assert parse_tile_id('P0001__1024__0___0') == ('P0001', 0, 0, 1.0)
    assert parse_tile_id('P0001__1024x0.5__0___0') == ('P0001', 0, 0, 0.5)
    torch = pytest.importorskip('torch')
    pytest.importorskip('mmcv.ops')
    from rsvheat_mm.utils.patch.merge import merge_by_image
    box = torch.tensor([[10., 10., 20., 30.]])
    res = merge_by_image([dict(img_id='P0001__0.5__100___50', bboxes=box,
                               scores=torch.ones(1),
                               labels=torch.zeros(1, dtype=torch.long))])
    torch.testing.assert_close(res['P0001']['bboxes'],
                               torch.tensor([[220., 120., 240., 160.]]))
