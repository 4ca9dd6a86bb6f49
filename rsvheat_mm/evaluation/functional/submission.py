"""Leaderboard files of full-image detections.

* DOTA Task1 (oriented boxes): one file ``Task1_{class}.txt`` per class,
  lines ``{image} {score} x1 y1 x2 y2 x3 y3 x4 y4``; zip the files (no
  folder) for the DOTA server.
* DOTA Task2 / VOC style (horizontal boxes): ``{prefix}{class}.txt``, lines
  ``{image} {score} x1 y1 x2 y2`` (also mmdet's VOC ``comp4`` layout).
* FAIR1M-2.0 (ISPRS benchmark server): one ``{image}.xml`` per test image
  (also for images without detections) with ``objects/object``:
  ``possibleresult`` (``name``, ``probability``) and ``points``: the 4
  corners and the first one again, ``"x,y"`` each; zip the XML files into a
  ``test`` folder for submission.

Inputs are ``{image stem: dict(bboxes, scores, labels)}`` as returned by
:func:`rsvheat_mm.utils.patch.merge.merge_by_image`.
"""
import os
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from typing import (Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence)

import numpy as np
import torch

from ...utils.patch.merge import rbox_to_poly, to_tensor

__all__ = [
    'detections_to_polys', 'write_dota_task1', 'write_hbox_per_class',
    'write_fair1m_xml', 'zip_files'
]


def detections_to_polys(det: Mapping) -> np.ndarray:
    """Corners [N, 8] of a result's ``bboxes`` (hbox [N,4] or rbox [N,5])."""
    boxes = to_tensor(det['bboxes'], dtype=torch.float64)
    if boxes.numel() == 0:
        return np.zeros((0, 8))
    if boxes.shape[-1] == 5:
        return rbox_to_poly(boxes)
    if boxes.shape[-1] == 4:
        b = boxes.numpy()
        return np.stack([b[:, 0], b[:, 1], b[:, 2], b[:, 1], b[:, 2],
                         b[:, 3], b[:, 0], b[:, 3]], 1)
    if boxes.shape[-1] == 8:
        return boxes.numpy()
    raise ValueError(f'bboxes of shape {tuple(boxes.shape)}: expected '
                     f'[N, 4], [N, 5] or [N, 8]')


def _arrays(det: Mapping):
    scores = to_tensor(det['scores']).numpy().reshape(-1)
    labels = to_tensor(det['labels'], dtype=torch.int64)
    return scores, labels.numpy().reshape(-1)


def _check_labels(labels: np.ndarray, classes: Sequence[str], img: str):
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(f'{img}: label {int(labels.max())} outside the '
                         f'{len(classes)} classes {list(classes)}; the model '
                         f'head and the dataset classes disagree.')


def _write_per_class(results: Mapping[str, Mapping], classes: Sequence[str],
                     out_dir: str, prefix: str,
                     to_coords: Callable[[np.ndarray], Sequence[float]],
                     precision: int) -> List[str]:
    """One ``{prefix}{class}.txt`` per class (empty ones too), lines
    ``{image} {score} {coords}``."""
    os.makedirs(out_dir, exist_ok=True)
    lines: Dict[int, List[str]] = {i: [] for i in range(len(classes))}
    for img, det in results.items():
        polys = detections_to_polys(det)
        scores, labels = _arrays(det)
        _check_labels(labels, classes, img)
        for poly, score, label in zip(polys, scores, labels):
            coords = ' '.join(f'{v:.{precision}f}' for v in to_coords(poly))
            lines[int(label)].append(f'{img} {score:.4f} {coords}\n')
    paths = []
    for i, name in enumerate(classes):
        path = os.path.join(out_dir,
                            f'{prefix}{name.replace(" ", "_")}.txt')
        with open(path, 'w', encoding='utf-8') as f:
            f.writelines(lines[i])
        paths.append(path)
    return paths


def write_dota_task1(results: Mapping[str, Mapping], classes: Sequence[str],
                     out_dir: str, prefix: str = 'Task1_',
                     precision: int = 2) -> List[str]:
    """Write DOTA Task1 files (one per class, empty ones too).

    Args:
        results: ``{image stem: dict(bboxes, scores, labels)}``.
        classes: Class names (index = label); spaces become ``_`` in file
            names.
        out_dir: Output folder (created).
        prefix: File name prefix. Defaults to ``'Task1_'``.
        precision: Decimals of coordinates. Defaults to 2.

    Returns:
        The written paths, in class order.
    """
    return _write_per_class(results, classes, out_dir, prefix,
                            lambda poly: poly, precision)


def write_hbox_per_class(results: Mapping[str, Mapping],
                         classes: Sequence[str], out_dir: str,
                         prefix: str = 'comp4_det_test_',
                         precision: int = 1) -> List[str]:
    """Horizontal boxes per class: ``{image} {score} x1 y1 x2 y2``.

    The layout of VOC ``comp4`` results and DOTA Task2. Rotated boxes are
    written as their enclosing horizontal box.

    Args:
        results: ``{image stem: dict(bboxes, scores, labels)}``.
        classes: Class names.
        out_dir: Output folder.
        prefix: File prefix. Defaults to ``'comp4_det_test_'`` (use
            ``'Task2_'`` for DOTA Task2).
        precision: Decimals. Defaults to 1.

    Returns:
        The written paths.
    """
    def hbox(poly):
        xs, ys = poly[0::2], poly[1::2]
        return xs.min(), ys.min(), xs.max(), ys.max()

    return _write_per_class(results, classes, out_dir, prefix, hbox,
                            precision)


def _sub(parent: ET.Element, tag: str, text: Optional[str] = None):
    elem = ET.SubElement(parent, tag)
    if text is not None:
        elem.text = text
    return elem


def write_fair1m_xml(results: Mapping[str, Mapping], classes: Sequence[str],
                     out_dir: str, img_suffix: str = '.tif',
                     all_images: Optional[Iterable[str]] = None,
                     author: str = 'rsvheat_mm',
                     precision: int = 2) -> List[str]:
    """Write one FAIR1M-2.0 result XML per image.

    Args:
        results: ``{image stem: dict(bboxes, scores, labels)}``.
        classes: Official FAIR1M class names (with spaces).
        out_dir: Output folder (created).
        img_suffix: Image extension written in ``<filename>``. Defaults to
            ``'.tif'`` (FAIR1M).
        all_images: Stems of every test image; images without detections
            get an empty result file (the server expects one per image).
            Defaults to None (only the keys of ``results``).
        author: ``research/author``. Defaults to ``'rsvheat_mm'``.
        precision: Decimals of coordinates. Defaults to 2.

    Returns:
        The written paths.
    """
    os.makedirs(out_dir, exist_ok=True)
    stems = list(results)
    for s in all_images or ():
        if s not in results:
            stems.append(s)
    paths = []
    for stem in stems:
        root = ET.Element('annotation')
        src = _sub(root, 'source')
        _sub(src, 'filename', stem + img_suffix)
        _sub(src, 'origin', 'GF2/GF3')
        res = _sub(root, 'research')
        _sub(res, 'version', '2.0')
        _sub(res, 'provider', author)
        _sub(res, 'author', author)
        _sub(res, 'pluginname', 'FAIR1M')
        _sub(res, 'pluginclass', 'object detection')
        _sub(res, 'time', date.today().isoformat())
        objs = _sub(root, 'objects')
        if stem in results:
            det = results[stem]
            polys = detections_to_polys(det)
            scores, labels = _arrays(det)
            _check_labels(labels, classes, stem)
            for poly, score, label in zip(polys, scores, labels):
                obj = _sub(objs, 'object')
                _sub(obj, 'coordinate', 'pixel')
                _sub(obj, 'type', 'rectangle')
                _sub(obj, 'description', 'None')
                pr = _sub(obj, 'possibleresult')
                _sub(pr, 'name', classes[int(label)])
                _sub(pr, 'probability', f'{float(score):.6f}')
                pts = _sub(obj, 'points')
                corners = poly.reshape(4, 2)
                for x, y in list(corners) + [corners[0]]:
                    _sub(pts, 'point', f'{x:.{precision}f},{y:.{precision}f}')
        ET.indent(root)
        path = os.path.join(out_dir, stem + '.xml')
        ET.ElementTree(root).write(path, encoding='utf-8',
                                   xml_declaration=True)
        paths.append(path)
    return paths


def zip_files(paths: Sequence[str], zip_path: str,
              folder: str = '') -> str:
    """Zip ``paths`` flat (or under ``folder``) into ``zip_path``."""
    os.makedirs(os.path.dirname(os.path.abspath(zip_path)), exist_ok=True)
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for p in paths:
            zf.write(p, os.path.join(folder, os.path.basename(p)))
    return zip_path
