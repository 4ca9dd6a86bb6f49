"""LEVIR-CD building change detection.

LEVIR-CD (Chen & Shi, Remote Sensing 2020): 637 pairs of 1024x1024 Google
Earth images at 0.5 m (445 train / 64 val / 128 test), before image in
``A/``, after image in ``B/``, binary change mask in ``label/`` (0 unchanged,
255 changed), the same file name in each folder::

    data/levir_cd/{train,val,test}/{A,B,label}/train_1.png ...

Labels are binarised the LEVIR way: 0 -> 0 (unchanged), 255 -> 1 (changed);
any other value is an error naming the file (see
:class:`~rsvheat_mm.datasets.transforms.LoadMappedAnnotations`).
"""
from typing import Dict, Optional

from ..registry import DATASETS, register
from .folder_seg_dataset import FolderSegDataset

__all__ = ['LEVIRCDPairDataset']


@register(DATASETS, hosts=('mmseg', ))
class LEVIRCDPairDataset(FolderSegDataset):
    """LEVIR-CD pairs read from ``A/``, ``B/`` and ``label/``.

    mmseg's own ``LEVIRCDDataset`` needs GDAL in its pipeline; this class
    works with :class:`~rsvheat_mm.datasets.transforms.LoadMultiImageFromFiles`
    (keys ``img_path``, ``img_path2``) and
    :class:`~rsvheat_mm.datasets.transforms.LoadMappedAnnotations` (0 -> 0,
    255 -> 1, anything else an error).

    Args:
        data_prefix: Folders of the before image, the after image and the
            label. Defaults to ``dict(img_path='A', img_path2='B',
            seg_map_path='label')``; use e.g. ``'train/A'`` for the official
            split layout.
        suffixes: Defaults to ``'.png'`` for all three.
        **kwargs: ``data_root``, ``pipeline``, ``ann_file`` (file stems, one a
            line), ``test_mode`` ... of mmseg's ``BaseSegDataset``.
    """
    METAINFO = dict(classes=('unchanged', 'changed'),
                    palette=[[0, 0, 0], [255, 255, 255]])
    suffixes = {'img_path': '.png', 'img_path2': '.png',
                'seg_map_path': '.png'}
    label_value_map = {0: 0, 255: 1}
    roles = {'img_path': 'A (before)', 'img_path2': 'B (after)',
             'seg_map_path': 'label'}
    layout_key = 'levir_cd'

    def __init__(self,
                 data_prefix: Optional[dict] = None,
                 suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='A', img_path2='B',
                               seg_map_path='label')
        if 'img_path2' not in data_prefix:
            raise KeyError('LEVIRCDPairDataset needs data_prefix img_path2 '
                           '(the B folder of after images).')
        super().__init__(suffixes=suffixes, data_prefix=data_prefix,
                         **kwargs)
