"""Merge of tile detections (rotated NMS) and the leaderboard writers."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')
pytest.importorskip('mmrotate')

from mmrotate.structures.bbox import qbox2rbox, rbox2qbox  # noqa: E402

from rsvheat_mm.datasets.annotations import parse_dota_txt, parse_fair1m_xml  # noqa
from rsvheat_mm.utils.patch.merge import (  # noqa: E402
    merge_by_image, merge_tile_detections, nms_merge, rbox_to_poly,
    shift_boxes)
from rsvheat_mm.evaluation.metrics.det_submission_metric import DetSubmissionMetric  # noqa: E402
from rsvheat_mm.utils.patch.split import split_image  # noqa: E402
from rsvheat_mm.evaluation.functional.submission import (write_dota_task1,  # noqa: E402
                                       write_fair1m_xml,
                                       write_hbox_per_class)


def _ref_nms(boxes, scores, labels, thr):
    """Greedy class-wise NMS in float64 (reference)."""
    b = boxes.astype(np.float64)
    order = np.argsort(-scores, kind='stable')
    keep = []
    for i in order:
        ok = True
        for j in keep:
            if labels[j] != labels[i]:
                continue
            iw = min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0])
            ih = min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1])
            inter = max(iw, 0) * max(ih, 0)
            area = lambda k: (b[k, 2] - b[k, 0]) * (b[k, 3] - b[k, 1])  # noqa
            if inter / (area(i) + area(j) - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_nms_matches_float64_reference(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 200, (60, 2))
    wh = rng.uniform(10, 60, (60, 2))
    boxes = np.concatenate([xy, xy + wh], 1)
    scores = rng.permutation(60) / 60. + 0.01
    labels = rng.integers(0, 3, 60)
    for thr in (0.1, 0.5):
        ref = set(_ref_nms(boxes, scores, labels, thr))
        got = nms_merge(torch.tensor(boxes), torch.tensor(scores),
                        torch.tensor(labels), thr)
        kept = {int(np.argmin(np.abs(scores - s))) for s in
                got['scores'].numpy()}
        assert kept == ref
        # rotated NMS with angle 0 is the same problem
        rb = np.concatenate([xy + wh / 2, wh, np.zeros((60, 1))], 1)
        got_r = nms_merge(torch.tensor(rb), torch.tensor(scores),
                          torch.tensor(labels), thr)
        kept_r = {int(np.argmin(np.abs(scores - s))) for s in
                  got_r['scores'].numpy()}
        assert kept_r == ref
        assert (np.diff(got_r['scores'].numpy()) <= 0).all()


def test_rbox_to_poly_matches_mmrotate():
    rng = np.random.default_rng(3)
    rb = np.concatenate([rng.uniform(0, 500, (20, 2)),
                         rng.uniform(5, 80, (20, 2)),
                         rng.uniform(-np.pi / 2, np.pi / 2, (20, 1))], 1)
    ref = rbox2qbox(torch.tensor(rb, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(rbox_to_poly(rb), ref, rtol=1e-12,
                               atol=1e-9)


def test_shift_boxes():
    hb = torch.tensor([[10., 20., 30., 40.]])
    torch.testing.assert_close(shift_boxes(hb, 100, 200),
                               torch.tensor([[110., 220., 130., 240.]]))
    rb = torch.tensor([[10., 20., 30., 40., 0.3]])
    torch.testing.assert_close(shift_boxes(rb, 100, 200, rate=0.5),
                               torch.tensor([[220., 440., 60., 80., 0.3]]))


def _polys_to_rbox(polys):
    return qbox2rbox(torch.tensor(np.asarray(polys), dtype=torch.float32))


@pytest.mark.parametrize('patch,gap,rate', [(512, 256, 1.0), (400, 200, 1.0),
                                            (384, 200, 0.5)])
def test_split_then_merge_real_tile(shared_data, patch, gap, rate):
    """Every object comes back exactly once, at its place."""
    objs, _ = parse_dota_txt(
        str(shared_data / 'dota/labelTxt/P2805__1024__0___0.txt'))
    tiles = split_image(None, objs, 'P2805', patch, gap, rate=rate,
                        image_size=(1024, 1024))
    assert len(tiles) > 1 or rate != 1
    results = []
    for t in tiles:
        polys = [o['poly'] for o in t.objects]
        results.append(dict(
            img_id=t.id,
            bboxes=_polys_to_rbox(polys) if polys else torch.zeros(0, 5),
            # a detector is surer of whole objects than of cut ones
            scores=torch.tensor([o['iof'] for o in t.objects]),
            labels=torch.zeros(len(polys), dtype=torch.long)))
    assert sum(len(r['scores']) for r in results) > len(objs)  # duplicates
    merged = merge_by_image(results, iou_thr=0.1)
    assert list(merged) == ['P2805']
    det = merged['P2805']
    assert len(det['scores']) == len(objs)
    assert (det['scores'] == 1).all()  # the whole copies won
    ref = _polys_to_rbox([o['poly'] for o in objs])
    got = det['bboxes']
    # match by centre
    for r in ref:
        d = ((got[:, :2] - r[:2])**2).sum(1).sqrt()
        k = int(d.argmin())
        assert d[k] < 1e-3
        torch.testing.assert_close(got[k, 2:4], r[2:4], rtol=1e-5,
                                   atol=1e-3)


def test_merge_tile_detections_checks_lengths():
    with pytest.raises(ValueError, match='2 boxes, 1 scores'):
        merge_tile_detections([dict(x=0, y=0, bboxes=torch.zeros(2, 5),
                                    scores=torch.ones(1),
                                    labels=torch.zeros(1))])


CLASSES = ('Small Car', 'Boeing737', 'Bridge')


def _dets():
    return {
        'img1': dict(bboxes=torch.tensor([[50., 60., 20., 10., 0.5],
                                          [300., 200., 40., 30., -0.2]]),
                     scores=torch.tensor([0.9, 0.4]),
                     labels=torch.tensor([0, 2])),
        'img2': dict(bboxes=torch.tensor([[10., 10., 8., 4., 0.]]),
                     scores=torch.tensor([0.7]), labels=torch.tensor([0])),
    }


def test_dota_task1_files(tmp_path):
    dets = _dets()
    paths = write_dota_task1(dets, CLASSES, str(tmp_path))
    assert [p.split('/')[-1] for p in paths] == [
        'Task1_Small_Car.txt', 'Task1_Boeing737.txt', 'Task1_Bridge.txt']
    lines = open(paths[0]).read().splitlines()
    assert [ln.split()[0] for ln in lines] == ['img1', 'img2']
    vals = np.array(lines[0].split()[1:], float)
    assert vals[0] == pytest.approx(0.9)
    np.testing.assert_allclose(vals[1:],
                               rbox_to_poly(dets['img1']['bboxes'][:1])[0],
                               atol=6e-3)
    assert open(paths[1]).read() == ''
    hb = write_hbox_per_class(dets, CLASSES, str(tmp_path / 'h'),
                              prefix='Task2_')
    x1, y1, x2, y2 = np.array(open(hb[2]).read().split()[2:], float)
    poly = rbox_to_poly(dets['img1']['bboxes'][1:])[0]
    np.testing.assert_allclose([x1, y1, x2, y2],
                               [poly[0::2].min(), poly[1::2].min(),
                                poly[0::2].max(), poly[1::2].max()],
                               atol=0.06)
    with pytest.raises(ValueError, match='outside the 2 classes'):
        write_dota_task1(dets, CLASSES[:2], str(tmp_path / 'x'))


def test_fair1m_xml_files(tmp_path):
    dets = _dets()
    paths = write_fair1m_xml(dets, CLASSES, str(tmp_path),
                             all_images=['img1', 'img3'])
    assert sorted(p.split('/')[-1] for p in paths) == [
        'img1.xml', 'img2.xml', 'img3.xml']
    ann = parse_fair1m_xml(str(tmp_path / 'img1.xml'))
    assert ann['filename'] == 'img1.tif'
    assert [o['name'] for o in ann['objects']] == ['Small Car', 'Bridge']
    np.testing.assert_allclose(
        np.stack([o['poly'] for o in ann['objects']]),
        rbox_to_poly(dets['img1']['bboxes']), atol=6e-3)
    root = ET.parse(str(tmp_path / 'img1.xml')).getroot()
    probs = [float(e.text) for e in root.iter('probability')]
    assert probs == pytest.approx([0.9, 0.4])
    pts = root.find('objects/object/points').findall('point')
    assert len(pts) == 5 and pts[0].text == pts[4].text
    assert parse_fair1m_xml(str(tmp_path / 'img3.xml'))['objects'] == []


def test_submission_metric_merges_tiles(tmp_path):
    metric = DetSubmissionMetric(out_dir=str(tmp_path),
                                 formats=('dota', 'fair1m'))
    metric.dataset_meta = dict(classes=CLASSES)
    box = torch.tensor([[100., 100., 40., 20., 0.1]])
    samples = [
        # the same object seen by two overlapping tiles
        dict(img_id='S1__1024__0___0', pred_instances=dict(
            bboxes=box, scores=torch.tensor([0.8]),
            labels=torch.tensor([1]))),
        dict(img_id='S1__1024__50___0', pred_instances=dict(
            bboxes=box - torch.tensor([50., 0, 0, 0, 0]),
            scores=torch.tensor([0.6]), labels=torch.tensor([1]))),
        dict(img_id='S2__1024__0___0', pred_instances=dict(
            bboxes=torch.zeros(0, 5), scores=torch.zeros(0),
            labels=torch.zeros(0, dtype=torch.long))),
    ]
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    assert res == dict(num_images=2., num_dets=1.)
    (line, ) = open(tmp_path / 'dota' / 'Task1_Boeing737.txt').readlines()
    assert line.split()[:2] == ['S1', '0.8000']
    assert (tmp_path / 'dota.zip').is_file()
    assert (tmp_path / 'fair1m' / 'S2.xml').is_file()
    with pytest.raises(ValueError, match='formats'):
        DetSubmissionMetric(out_dir='x', formats=('coco', ))
