"""SAR-AIRcraft-1.0 (Gaofen-3 SAR, 7 aircraft types) for mmdet.

Wang et al., "SAR-AIRcraft-1.0: High-resolution SAR aircraft detection and
recognition dataset", Journal of Radars 12(4), 2023. 4,368 single-channel
images (800 to 1500 px), 16,463 aircraft, horizontal boxes in VOC-style XML.

Layout of the release (``data_root='data/SAR-AIRcraft-1.0'``)::

    JPEGImages/0000001.jpg ...   (single-channel JPEG, 7-digit names)
    Annotations/0000001.xml ...  (VOC XML without <filename> or <depth>)
    ImageSets/Main/{train,val,test}.txt

Load images as 1 channel (``LoadImageFromFile(color_type='grayscale')``)
and use the backbone's SAR stem (``RSvHeat(in_channels=1)``).
"""
from ..registry import DATASETS, register
from .class_names import SAR_AIRCRAFT_CLASSES
from .voc_style_det_dataset import VOCStyleDetDataset

__all__ = ['SARAircraftDataset', 'SAR_AIRCRAFT_CLASSES']

@register(DATASETS, hosts=('mmdet', ))
class SARAircraftDataset(VOCStyleDetDataset):
    """SAR-AIRcraft-1.0 with horizontal boxes.

    Defaults read ``JPEGImages`` and ``Annotations``; see
    :class:`~rsvheat_mm.datasets.dior.VOCStyleDetDataset` for the arguments.
    ``ALIASES`` maps the spellings ``A320``/``A321``/``A320-321`` to
    ``A320/321``.
    """

    METAINFO = dict(
        classes=SAR_AIRCRAFT_CLASSES,
        palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                 (106, 0, 228), (0, 60, 100), (250, 170, 30)])
    DEFAULT_PREFIX = dict(img_path='JPEGImages', ann_path='Annotations')
    ALIASES = {'A320': 'A320/321', 'A321': 'A320/321',
               'A320-321': 'A320/321'}
    IGNORE_CASE = True
    layout_key = 'sar_aircraft'
