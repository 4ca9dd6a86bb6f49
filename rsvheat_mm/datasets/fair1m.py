"""FAIR1M-2.0 (37 fine-grained classes, oriented boxes) for mmrotate.

Sun et al., "FAIR1M: A benchmark dataset for fine-grained object
recognition in high-resolution remote sensing imagery", ISPRS J. 2022.
Images are large GF-2/GF-3 scenes (``.tif``) with one XML per image
(``objects/object/possibleresult/name`` and 5 closed ``points``).

Two ways in:

1. Standard (like DOTA): convert + split offline with
   ``tools/dataset_converters/fair1m_to_dota.py`` (XML -> DOTA txt, class
   names with ``_`` for spaces) and ``split_large_images.py`` (1024 tiles,
   gap 200), then ``FAIR1MDataset(ann_file='trainval/annfiles/')``.
2. Direct: ``FAIR1MDataset(ann_format='xml', ann_file='train/labelXml/')``
   reads the XML (full images; use for small images or inspection).

Test set (no annotations): ``ann_file=''`` lists the images of
``data_prefix['img_path']``.
"""
import glob
import os.path as osp
from typing import List

from mmrotate.datasets import DOTADataset

from ..det.annotations import (check_class_names, decode_class_name,
                               list_annotation_ids, parse_dota_txt,
                               parse_fair1m_xml)
from ..registry import DATASETS, register

__all__ = ['FAIR1MDataset', 'FAIR1M_CLASSES']

FAIR1M_CLASSES = (
    'Boeing737', 'Boeing747', 'Boeing777', 'Boeing787', 'C919', 'A220',
    'A321', 'A330', 'A350', 'ARJ21', 'other-airplane', 'Passenger Ship',
    'Motorboat', 'Fishing Boat', 'Tugboat', 'Engineering Ship',
    'Liquid Cargo Ship', 'Dry Cargo Ship', 'Warship', 'other-ship',
    'Small Car', 'Bus', 'Cargo Truck', 'Dump Truck', 'Van', 'Trailer',
    'Tractor', 'Excavator', 'Truck Tractor', 'other-vehicle',
    'Basketball Court', 'Tennis Court', 'Football Field', 'Baseball Field',
    'Intersection', 'Roundabout', 'Bridge')


def _palette(n: int) -> List[tuple]:
    return [((37 * i) % 256, (97 * i + 60) % 256, (173 * i + 120) % 256)
            for i in range(n)]


@register(DATASETS, hosts=('mmrotate', ))
class FAIR1MDataset(DOTADataset):
    """FAIR1M-1.0/2.0 (and any DOTA-txt or FAIR1M-XML set) for mmrotate.

    Data infos are those of mmrotate's ``DOTADataset`` (``bbox`` = 8 corner
    coordinates, ``bbox_label``, ``ignore_flag``), so its pipelines and
    ``DOTAMetric`` apply unchanged.

    Args:
        ann_format: ``'txt'`` (DOTA txt from the converter / splitter; ``_``
            in a class name means a space) or ``'xml'`` (original FAIR1M
            XML). Defaults to ``'txt'``.
        diff_thr: Objects with a difficult flag above it are ignored.
            Defaults to 100 (keep all, as mmrotate).
        img_suffix: Image extension without dot. Defaults to ``'png'``
            (the splitter writes png tiles; use ``'tif'`` for full images).
        **kwargs: ``ann_file`` (annotation folder relative to
            ``data_root``; ``''`` = test mode), ``data_prefix``,
            ``metainfo``, ``pipeline``, ``filter_cfg``, ... of mmrotate's
            ``DOTADataset``.

    Raises:
        FileNotFoundError: The annotation folder does not exist.
        AnnotationError: A corrupt file or an unknown class (names the file).
    """

    METAINFO = dict(classes=FAIR1M_CLASSES, palette=_palette(37))

    def __init__(self, ann_format: str = 'txt', diff_thr: int = 100,
                 img_suffix: str = 'png', **kwargs) -> None:
        if ann_format not in ('txt', 'xml'):
            raise ValueError(f"ann_format={ann_format!r}: use 'txt' (DOTA "
                             f"txt) or 'xml' (FAIR1M XML)")
        self.ann_format = ann_format
        super().__init__(diff_thr=diff_thr, img_suffix=img_suffix, **kwargs)

    def _test_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'Image folder {img_dir!r} does not exist (ann_file is '
                f"'' so the images are listed). Check data_prefix.")
        data_list = []
        for path in sorted(glob.glob(osp.join(img_dir,
                                              f'*.{self.img_suffix}'))):
            name = osp.basename(path)
            data_list.append(dict(img_id=osp.splitext(name)[0],
                                  file_name=name, img_path=path,
                                  instances=[]))
        return data_list

    def load_data_list(self) -> List[dict]:
        """Parse the annotation folder (or list test images)."""
        if not self.ann_file:
            return self._test_list()
        classes = self.metainfo['classes']
        cat2label = {c: i for i, c in enumerate(classes)}
        suffix = '.txt' if self.ann_format == 'txt' else '.xml'
        data_list = []
        for img_id in list_annotation_ids(self.ann_file, suffix):
            path = osp.join(self.ann_file, img_id + suffix)
            if self.ann_format == 'txt':
                objects, _ = parse_dota_txt(path)
                for obj in objects:
                    if obj['name'] not in cat2label:
                        obj['name'] = decode_class_name(obj['name'])
            else:
                objects = parse_fair1m_xml(path)['objects']
            check_class_names(objects, classes, path, type(self).__name__)
            name = f'{img_id}.{self.img_suffix}'
            data_list.append(dict(
                img_id=img_id, file_name=name,
                img_path=osp.join(self.data_prefix['img_path'], name),
                instances=[
                    dict(bbox=[float(v) for v in obj['poly']],
                         bbox_label=cat2label[obj['name']],
                         ignore_flag=int(obj['difficult'] > self.diff_thr))
                    for obj in objects
                ]))
        return data_list
