"""Readers and writers of the detection annotation formats we support.

Pure Python + NumPy (no torch, no OpenMMLab), so that the dataset classes,
the splitting tool and the converters share one parser each:

* DOTA txt: one object per line ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult``,
  optionally after ``imagesource:`` / ``gsd:`` header lines.
* VOC-style XML (DIOR, DIOR-R, SAR-AIRcraft-1.0): ``<object>`` with a
  ``<name>``, an optional ``<difficult>`` and either a horizontal
  ``<bndbox>`` (xmin, ymin, xmax, ymax) or DIOR-R's ``<robndbox>`` (four
  named corners).
* FAIR1M (1.0 and 2.0) XML: ``objects/object`` with
  ``possibleresult/name`` and ``points/point`` ("x,y", the polygon closed by
  repeating its first corner).

Every object is a dict ``{'poly': float32 array (8,), 'name': str,
'difficult': int}`` (horizontal boxes become their 4 corners, clockwise from
the top-left), so each format converts to every other one.

Errors raise :class:`AnnotationError` naming the file, the line or element,
and how to fix it.
"""
import os
import xml.etree.ElementTree as ET
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'AnnotationError', 'parse_dota_txt', 'write_dota_txt', 'parse_voc_xml',
    'parse_fair1m_xml', 'hbox_to_poly', 'poly_to_hbox', 'encode_class_name',
    'decode_class_name', 'check_class_names', 'list_annotation_ids'
]

DetObject = Dict[str, object]


class AnnotationError(ValueError):
    """An annotation file cannot be read; the message names file and fix."""


# ----------------------------------------------------------------- helpers
def hbox_to_poly(box: Sequence[float]) -> np.ndarray:
    """``(x1, y1, x2, y2)`` to the 8 corner coordinates, clockwise from TL."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype=np.float32)


def poly_to_hbox(poly: np.ndarray) -> np.ndarray:
    """Enclosing horizontal box ``(x1, y1, x2, y2)`` of polygons [..., 8]."""
    poly = np.asarray(poly, dtype=np.float32)
    xs, ys = poly[..., 0::2], poly[..., 1::2]
    return np.stack([xs.min(-1), ys.min(-1), xs.max(-1), ys.max(-1)], -1)


def encode_class_name(name: str) -> str:
    """Class name safe for whitespace-separated DOTA txt (spaces -> ``_``).

    FAIR1M names contain spaces ('Small Car'); none contains ``_``, so
    :func:`decode_class_name` restores them exactly.
    """
    return name.strip().replace(' ', '_')


def decode_class_name(name: str) -> str:
    """Inverse of :func:`encode_class_name` (``_`` -> space)."""
    return name.replace('_', ' ')


def check_class_names(objects: Iterable[DetObject], classes: Sequence[str],
                      path: str, dataset: str = 'this dataset',
                      ignore_case: bool = False,
                      aliases: Optional[Dict[str, str]] = None,
                      hint: str = '') -> None:
    """Check every object's class name; rewrite it to the canonical spelling.

    Names are looked up as written, then through ``aliases``, then (with
    ``ignore_case``) case-insensitively in both. A match replaces
    ``obj['name']`` by the name in ``classes``, so
    ``'Expressway-toll-station'`` becomes ``'expressway-toll-station'`` for
    DIOR.

    Args:
        objects: Parsed objects (modified in place).
        classes: Known class names.
        path: The annotation file (named in the message).
        dataset: Dataset name for the message. Defaults to
            ``'this dataset'``.
        ignore_case: Match names case-insensitively. Defaults to False.
        aliases: ``{spelling in the file: class name}``. Defaults to None.
        hint: Extra advice appended to the message. Defaults to ``''``
            (suggest ``metainfo``).

    Raises:
        AnnotationError: The first unknown name (file, line when known).
    """
    lookup = {c: c for c in classes}
    for alias, target in (aliases or {}).items():
        lookup.setdefault(alias, target)
    folded = {k.lower(): v for k, v in lookup.items()} if ignore_case else {}
    for obj in objects:
        name = str(obj['name'])
        canon = lookup.get(name)
        if canon is None and ignore_case:
            canon = folded.get(name.lower())
        if canon is None or canon not in classes:
            line = f' (line {obj["lineno"]})' if obj.get('lineno') else ''
            fix = hint or ('Fix the annotation, or pass metainfo=dict('
                           'classes=(...)) to the dataset to train on other '
                           'classes.')
            raise AnnotationError(
                f'{path}: unknown class name {name!r}{line} for {dataset}. '
                f'Known classes: {list(classes)}. {fix}')
        obj['name'] = canon


def list_annotation_ids(ann_dir: str, suffix: str) -> List[str]:
    """Sorted file stems of ``*suffix`` in ``ann_dir``.

    Raises:
        FileNotFoundError: ``ann_dir`` does not exist.
    """
    if not os.path.isdir(ann_dir):
        raise FileNotFoundError(
            f'Annotation folder {ann_dir!r} does not exist. Check data_root '
            f'and data_prefix (ann_path) in the dataset config, or prepare '
            f'the dataset as described in docs/detection.md.')
    return sorted(f[:-len(suffix)] for f in os.listdir(ann_dir)
                  if f.endswith(suffix))


def _read_xml(path: str) -> ET.Element:
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'Annotation file {path!r} does not exist. Check data_root, '
            f'data_prefix and the image list (ann_file).')
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as err:
        raise AnnotationError(
            f'{path}: corrupt XML ({err}). Re-extract this file from the '
            f'dataset archive or remove its id from the image list.') from err


def _float(elem: Optional[ET.Element], path: str, what: str) -> float:
    if elem is None or elem.text is None:
        raise AnnotationError(f'{path}: missing <{what}> in an object. '
                              f'Fix or drop that object.')
    try:
        return float(elem.text.strip())
    except ValueError as err:
        raise AnnotationError(f'{path}: <{what}> is {elem.text!r}, not a '
                              f'number. Fix that object.') from err


def _size(root: ET.Element, path: str) -> Tuple[Optional[int],
                                                Optional[int]]:
    size = root.find('size')
    if size is None:
        return None, None
    w, h = size.find('width'), size.find('height')
    if w is None or h is None:
        return None, None
    return int(_float(w, path, 'width')), int(_float(h, path, 'height'))


# ---------------------------------------------------------------- DOTA txt
def parse_dota_txt(path: str) -> Tuple[List[DetObject], Dict[str, str]]:
    """Read a DOTA ``labelTxt`` file.

    Args:
        path: The txt file.

    Returns:
        ``(objects, meta)``: objects in file order (each also has
        ``lineno``, its 1-based line); ``meta`` holds the header fields
        (``imagesource``, ``gsd``) when present.

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationError: A line has neither 9 nor 10 fields or a coordinate
            is not a number (message names file and line).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'DOTA annotation {path!r} does not exist. '
                                f'Check ann_file / data_root.')
    objects: List[DetObject] = []
    meta: Dict[str, str] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            head = line.split(':', 1)
            if len(head) == 2 and head[0] in ('imagesource', 'gsd'):
                meta[head[0]] = head[1].strip()
                continue
            fields = line.split()
            if len(fields) not in (9, 10):
                raise AnnotationError(
                    f'{path}:{lineno}: expected "x1 y1 x2 y2 x3 y3 x4 y4 '
                    f'class [difficult]" but got {len(fields)} fields: '
                    f'{line!r}. Class names must not contain spaces (use '
                    f'tools/dataset_converters/fair1m_to_dota.py for '
                    f'FAIR1M).')
            try:
                poly = np.array([float(v) for v in fields[:8]],
                                dtype=np.float32)
                difficult = int(fields[9]) if len(fields) == 10 else 0
            except ValueError as err:
                raise AnnotationError(
                    f'{path}:{lineno}: non-numeric coordinate or difficult '
                    f'flag in {line!r}. Fix that line.') from err
            objects.append(dict(poly=poly, name=fields[8],
                                difficult=difficult, lineno=lineno))
    return objects, meta


def write_dota_txt(path: str, objects: Iterable[DetObject],
                   meta: Optional[Dict[str, str]] = None,
                   precision: int = 1) -> None:
    """Write objects as a DOTA ``labelTxt`` file.

    Args:
        path: Output file (parent folders are created).
        objects: Objects with ``poly``, ``name`` (spaces are encoded with
            :func:`encode_class_name`) and ``difficult``.
        meta: Header fields written first (``imagesource``, ``gsd``).
            Defaults to None (no header).
        precision: Decimals of the coordinates. Defaults to 1.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for key, value in (meta or {}).items():
            f.write(f'{key}:{value}\n')
        for obj in objects:
            coords = ' '.join(f'{v:.{precision}f}'
                              for v in np.asarray(obj['poly']).reshape(-1))
            f.write(f'{coords} {encode_class_name(str(obj["name"]))} '
                    f'{int(obj.get("difficult", 0))}\n')


# --------------------------------------------------------- VOC-style XML
_ROBNDBOX_CORNERS = ('left_top', 'right_top', 'right_bottom', 'left_bottom')


def parse_voc_xml(path: str) -> Dict[str, object]:
    """Read a VOC-style XML (DIOR, DIOR-R, SAR-AIRcraft-1.0).

    Each ``<object>`` needs a ``<name>`` and a ``<bndbox>`` (horizontal) or
    a ``<robndbox>`` (DIOR-R corners ``x_left_top`` ... ``y_left_bottom``).
    ``<difficult>`` defaults to 0.

    Args:
        path: The XML file.

    Returns:
        dict with ``filename`` (str or None), ``width``/``height`` (int or
        None) and ``objects`` (each also has ``hbox``: float32 (4,)).

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationError: Corrupt XML, an object without name or box, a
            non-numeric coordinate, or a ``<bndbox>`` with ``xmin > xmax`` or
            ``ymin > ymax``.
    """
    root = _read_xml(path)
    width, height = _size(root, path)
    fname = root.findtext('filename')
    objects: List[DetObject] = []
    for k, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip()
        if not name:
            raise AnnotationError(f'{path}: <object> #{k} has no <name>. '
                                  f'Fix or drop that object.')
        diff = obj.find('difficult')
        difficult = int(_float(diff, path, 'difficult')) \
            if diff is not None and diff.text else 0
        bnd, rbnd = obj.find('bndbox'), obj.find('robndbox')
        if bnd is not None:
            hbox = np.array([
                _float(bnd.find(t), path, t)
                for t in ('xmin', 'ymin', 'xmax', 'ymax')
            ], dtype=np.float32)
            if hbox[0] > hbox[2] or hbox[1] > hbox[3]:
                raise AnnotationError(
                    f'{path}: <object> #{k} ({name}) has xmin > xmax or '
                    f'ymin > ymax in <bndbox> {hbox.tolist()}, which would '
                    f'train a box of negative size. Swap the values in the '
                    f'file (the box is xmin, ymin, xmax, ymax) or drop '
                    f'that object.')
            poly = hbox_to_poly(hbox)
        elif rbnd is not None:
            poly = np.array([
                _float(rbnd.find(f'{a}_{c}'), path, f'{a}_{c}')
                for c in _ROBNDBOX_CORNERS for a in ('x', 'y')
            ], dtype=np.float32)
            hbox = poly_to_hbox(poly)
        else:
            raise AnnotationError(
                f'{path}: <object> #{k} ({name}) has neither <bndbox> nor '
                f'<robndbox>. Fix or drop that object.')
        objects.append(dict(poly=poly, hbox=hbox, name=name,
                            difficult=difficult))
    return dict(filename=fname.strip() if fname else None, width=width,
                height=height, objects=objects)


# ------------------------------------------------------------- FAIR1M XML
def parse_fair1m_xml(path: str) -> Dict[str, object]:
    """Read a FAIR1M (1.0 / 2.0) annotation XML.

    Args:
        path: The XML file.

    Returns:
        dict with ``filename``, ``width``, ``height`` and ``objects``; the
        polygon keeps the first four of the (closed, five-point) corners.
        FAIR1M has no difficult flag: ``difficult`` is 0.

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationError: Corrupt XML, no ``<objects>``, an object without
            ``possibleresult/name`` or with fewer than 4 points.
    """
    root = _read_xml(path)
    width, height = _size(root, path)
    fname = root.findtext('source/filename') or root.findtext('filename')
    objs = root.find('objects')
    if objs is None:
        raise AnnotationError(
            f'{path}: no <objects> element; this is not a FAIR1M annotation '
            f'(VOC-style XML goes to DIORHBBDataset/SARAircraftDataset).')
    objects: List[DetObject] = []
    for k, obj in enumerate(objs.findall('object')):
        name = (obj.findtext('possibleresult/name') or '').strip()
        if not name:
            raise AnnotationError(f'{path}: object #{k} has no '
                                  f'<possibleresult><name>. Fix it.')
        pts = []
        for p in obj.findall('points/point'):
            try:
                x, y = (float(v) for v in (p.text or '').split(','))
            except ValueError as err:
                raise AnnotationError(
                    f'{path}: object #{k} ({name}) has a point {p.text!r}; '
                    f'expected "x,y". Fix it.') from err
            pts.append((x, y))
        if len(pts) < 4:
            raise AnnotationError(
                f'{path}: object #{k} ({name}) has {len(pts)} points; a '
                f'FAIR1M box needs 4 (5 with the closing point). Fix it.')
        poly = np.array(pts[:4], dtype=np.float32).reshape(-1)
        objects.append(dict(poly=poly, name=name, difficult=0))
    return dict(filename=fname.strip() if fname else None, width=width,
                height=height, objects=objects)
