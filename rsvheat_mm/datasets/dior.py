"""DIOR with horizontal boxes (mmdet), on VOC-style XML.

mmdet 3.3 has no DIOR class and mmrotate's ``DIORDataset`` yields oriented
boxes for mmrotate; :class:`DIORHBBDataset` gives mmdet horizontal boxes
and plugs into mmdet's ``VOCMetric`` (mAP50).

Layout of the official release (``data_root='data/DIOR'``)::

    JPEGImages-trainval/00001.jpg ...   JPEGImages-test/11726.jpg ...
    Annotations/Horizontal Bounding Boxes/00001.xml ...
    Annotations/Oriented Bounding Boxes/00001.xml ...   (DIOR-R)
    ImageSets/Main/{train,val,test}.txt

Both annotation folders work: ``<robndbox>`` (DIOR-R) objects become their
enclosing horizontal box.
"""
import os.path as osp
from typing import Dict, List, Optional

from mmdet.datasets import BaseDetDataset

from ..det.annotations import (check_class_names, list_annotation_ids,
                               parse_voc_xml)
from ..registry import DATASETS, register

__all__ = ['VOCStyleDetDataset', 'DIORHBBDataset']

DIOR_CLASSES = ('airplane', 'airport', 'baseballfield', 'basketballcourt',
                'bridge', 'chimney', 'expressway-service-area',
                'expressway-toll-station', 'dam', 'golffield',
                'groundtrackfield', 'harbor', 'overpass', 'ship', 'stadium',
                'storagetank', 'tenniscourt', 'trainstation', 'vehicle',
                'windmill')


class VOCStyleDetDataset(BaseDetDataset):
    """Horizontal-box dataset on VOC-style XML, one file per image.

    Args:
        ann_file: Text file of image ids (one per line, e.g.
            ``ImageSets/Main/train.txt``), relative to ``data_root``; ``''``
            uses every ``*.xml`` in the annotation folder. Defaults to ``''``.
        data_prefix: ``img_path`` (image folder) and ``ann_path``
            (annotation folder), relative to ``data_root``. Defaults to the
            class' ``DEFAULT_PREFIX``.
        img_suffix: Image extension. Defaults to ``'.jpg'``.
        use_difficult: Keep difficult objects as normal instances; else they
            are ``ignore_flag=1`` (VOCMetric treats them as difficult).
            Defaults to False.
        class_aliases: Extra ``{name in file: class name}`` mappings, for
            spelling variants in a release. Defaults to None (the class'
            ``ALIASES``).
        **kwargs: Passed to mmdet's ``BaseDetDataset`` (``data_root``,
            ``metainfo``, ``pipeline``, ``filter_cfg``, ``test_mode``...).

    Raises:
        FileNotFoundError: Missing annotation folder, image list or XML.
        AnnotationError: Corrupt XML or unknown class name (names the file).
    """

    DEFAULT_PREFIX: Dict[str, str] = dict(img_path='JPEGImages',
                                          ann_path='Annotations')
    ALIASES: Dict[str, str] = {}

    def __init__(self, ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 img_suffix: str = '.jpg', use_difficult: bool = False,
                 class_aliases: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        self.img_suffix = img_suffix
        self.use_difficult = use_difficult
        self.class_aliases = dict(self.ALIASES, **(class_aliases or {}))
        prefix = dict(self.DEFAULT_PREFIX, **(data_prefix or {}))
        super().__init__(ann_file=ann_file, data_prefix=prefix, **kwargs)

    def _image_ids(self, ann_dir: str) -> List[str]:
        if not self.ann_file:
            return list_annotation_ids(ann_dir, '.xml')
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'Image list {self.ann_file!r} does not exist. Set ann_file '
                f"to e.g. 'ImageSets/Main/train.txt' (relative to "
                f"data_root) or to '' to use every XML in {ann_dir!r}.")
        with open(self.ann_file, encoding='utf-8') as f:
            ids = [line.strip() for line in f if line.strip()]
        if not osp.isdir(ann_dir):
            list_annotation_ids(ann_dir, '.xml')  # raises the clear error
        return ids

    def load_data_list(self) -> List[dict]:
        """Parse every listed XML into mmdet data infos."""
        classes = self.metainfo['classes']
        cat2label = {c: i for i, c in enumerate(classes)}
        ann_dir = self.data_prefix['ann_path']
        img_dir = self.data_prefix['img_path']
        data_list = []
        for img_id in self._image_ids(ann_dir):
            xml_path = osp.join(ann_dir, img_id + '.xml')
            ann = parse_voc_xml(xml_path)
            for obj in ann['objects']:
                obj['name'] = self.class_aliases.get(obj['name'], obj['name'])
            check_class_names(ann['objects'], classes, xml_path,
                              type(self).__name__)
            instances = []
            for obj in ann['objects']:
                ignore = int(obj['difficult'] > 0 and not self.use_difficult)
                instances.append(dict(
                    bbox=[float(v) for v in obj['hbox']],
                    bbox_label=cat2label[obj['name']], ignore_flag=ignore,
                    difficult=int(obj['difficult'])))
            data_list.append(dict(
                img_id=img_id,
                img_path=osp.join(img_dir, img_id + self.img_suffix),
                xml_path=xml_path, width=ann['width'], height=ann['height'],
                instances=instances))
        return data_list

    def filter_data(self) -> List[dict]:
        """Drop images without (non-ignored) boxes if ``filter_empty_gt``,
        and images smaller than ``min_size``; never in test mode."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        out = []
        for info in self.data_list:
            if empty and not any(not i['ignore_flag']
                                 for i in info['instances']):
                continue
            w, h = info['width'], info['height']
            if w is not None and h is not None and min(w, h) < min_size:
                continue
            out.append(info)
        return out


@register(DATASETS, hosts=('mmdet', ))
class DIORHBBDataset(VOCStyleDetDataset):
    """DIOR (20 classes, 800 x 800 optical) with horizontal boxes.

    Li et al., "Object detection in optical remote sensing images: A survey
    and a new benchmark", ISPRS J. 2020. Defaults read
    ``JPEGImages-trainval`` and ``Annotations/Horizontal Bounding Boxes``
    (set ``data_prefix`` for the test split or the DIOR-R folder). The
    class names are mmrotate's ``DIORDataset`` names; the release's
    capitalised spellings (``Expressway-Service-area``,
    ``Expressway-toll-station``) are mapped by ``ALIASES``. See
    :class:`VOCStyleDetDataset` for the arguments.
    """

    METAINFO = dict(
        classes=DIOR_CLASSES,
        palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                 (106, 0, 228), (0, 60, 100), (0, 80, 100), (0, 0, 70),
                 (0, 0, 192), (250, 170, 30), (100, 170, 30), (220, 220, 0),
                 (175, 116, 175), (250, 0, 30), (165, 42, 42),
                 (255, 77, 255), (0, 226, 252), (182, 182, 255),
                 (0, 82, 0), (120, 166, 157)])
    DEFAULT_PREFIX = dict(img_path='JPEGImages-trainval',
                          ann_path='Annotations/Horizontal Bounding Boxes')
    ALIASES = {'Expressway-Service-area': 'expressway-service-area',
               'Expressway-toll-station': 'expressway-toll-station'}
