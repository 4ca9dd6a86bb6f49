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
from ..registry import DATASETS, register
from .class_names import DIOR_CLASSES
from .voc_style_det_dataset import VOCStyleDetDataset

__all__ = ['DIORHBBDataset', 'DIOR_CLASSES']

@register(DATASETS, hosts=('mmdet', ))
class DIORHBBDataset(VOCStyleDetDataset):
    """DIOR (20 classes, 800 x 800 optical) with horizontal boxes.

    Li et al., "Object detection in optical remote sensing images: A survey
    and a new benchmark", ISPRS J. 2020. Defaults read
    ``JPEGImages-trainval`` and ``Annotations/Horizontal Bounding Boxes``
    (set ``data_prefix`` for the test split or the DIOR-R folder). The
    class names are mmrotate's ``DIORDataset`` names (lower case); the
    release XMLs spell some in mixed case (``Expressway-Service-area``,
    ``Expressway-toll-station``, and other casings in some copies), so every
    name is matched case-insensitively; a truly unknown name is still an
    error naming the file. See :class:`VOCStyleDetDataset` for the
    arguments.
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
    IGNORE_CASE = True
    layout_key = 'dior'
