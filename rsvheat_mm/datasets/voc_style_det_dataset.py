"""Base class of horizontal-box datasets on VOC-style XML (DIOR,
SAR-AIRcraft)."""
import os
import os.path as osp
from typing import Dict, List, Optional

from mmdet.datasets import BaseDetDataset

from .annotations import check_class_names, parse_voc_xml
from .data_layouts import missing_data_error

__all__ = ['VOCStyleDetDataset']


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
            ``ALIASES``). With the class' ``IGNORE_CASE`` names and aliases
            match case-insensitively.
        **kwargs: Passed to mmdet's ``BaseDetDataset`` (``data_root``,
            ``metainfo``, ``pipeline``, ``filter_cfg``, ``test_mode``...).

    Raises:
        FileNotFoundError: Missing annotation folder, image list or XML.
        AnnotationError: Corrupt XML or unknown class name (names the file).
    """

    DEFAULT_PREFIX: Dict[str, str] = dict(img_path='JPEGImages',
                                          ann_path='Annotations')
    ALIASES: Dict[str, str] = {}
    #: match class names (and aliases) case-insensitively
    IGNORE_CASE: bool = False
    #: key of :data:`~rsvheat_mm.datasets.data_layouts.LAYOUTS`, or None
    layout_key: Optional[str] = None

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

    def _missing(self, what: str, path: str) -> FileNotFoundError:
        if self.layout_key is None:
            return FileNotFoundError(
                f'{type(self).__name__}: {what} {path!r} does not exist. '
                f'Check data_root, data_prefix and ann_file.')
        return missing_data_error(self.layout_key, what, path,
                                  type(self).__name__)

    def _image_ids(self, ann_dir: str) -> List[str]:
        if not osp.isdir(ann_dir):
            raise self._missing('Annotation folder', ann_dir)
        if not self.ann_file:
            ids = sorted(f[:-4] for f in os.listdir(ann_dir)
                         if f.lower().endswith('.xml'))
            if not ids:
                raise self._missing('Annotation folder (no *.xml)', ann_dir)
            return ids
        if not osp.isfile(self.ann_file):
            raise self._missing(
                "Image list (ann_file, e.g. 'ImageSets/Main/train.txt' "
                "relative to data_root, or '' for every XML)",
                self.ann_file)
        with open(self.ann_file, encoding='utf-8') as f:
            return [line.strip() for line in f if line.strip()]

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
            check_class_names(ann['objects'], classes, xml_path,
                              type(self).__name__,
                              ignore_case=self.IGNORE_CASE,
                              aliases=self.class_aliases)
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
