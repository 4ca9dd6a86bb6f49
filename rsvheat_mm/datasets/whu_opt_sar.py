"""WHU-OPT-SAR: paired optical and SAR land-use segmentation.

WHU-OPT-SAR (Li et al., "MCANet", JAG 2022): 100 co-registered scenes of
5556x3704 px over Hubei, China -- GF-1 optical (4 bands, R G B NIR, 5 m),
GF-3 SAR (1 band, resampled to 5 m) and a label map. Release layout::

    WHU-OPT-SAR/optical/NH49E001013.tif
    WHU-OPT-SAR/sar/NH49E001013.tif
    WHU-OPT-SAR/lbl/NH49E001013.tif

Split scenes into ``train/``, ``val/``, ``test/`` sub-folders of each (or use
``ann_file`` lists). Label values 10..70 are the seven classes below; 0 (no
label) is ignored. Training crops windows from the full scenes; testing
slides a window over them.
"""
from typing import Dict, Optional

from ..registry import DATASETS, register
from .levir_cd import FolderSegDataset

__all__ = ['WHUOptSARDataset']


@register(DATASETS, hosts=('mmseg', ))
class WHUOptSARDataset(FolderSegDataset):
    """WHU-OPT-SAR optical + SAR pairs with their land-use label.

    Each sample gives ``img_path`` (optical) and ``sar_path`` for
    :class:`~rsvheat_mm.datasets.transforms.LoadMultiImageFromFiles`
    (``path_keys=('img_path', 'sar_path')``) and a label translated by
    ``label_value_map`` (0 -> ignored, 10 -> 0 farmland, ..., 70 -> 6 other).

    Args:
        data_prefix: Folders. Defaults to ``dict(img_path='optical',
            sar_path='sar', seg_map_path='lbl')``.
        suffixes: Defaults to ``'.tif'`` for all three.
        **kwargs: mmseg ``BaseSegDataset`` arguments.
    """
    METAINFO = dict(
        classes=('farmland', 'city', 'village', 'water', 'forest', 'road',
                 'others'),
        palette=[[204, 102, 1], [254, 0, 0], [255, 255, 1], [0, 0, 254],
                 [85, 167, 0], [93, 255, 255], [152, 102, 153]])
    suffixes = {'img_path': '.tif', 'sar_path': '.tif',
                'seg_map_path': '.tif'}
    label_value_map = {0: 255, 10: 0, 20: 1, 30: 2, 40: 3, 50: 4, 60: 5,
                       70: 6}
    roles = {'img_path': 'optical', 'sar_path': 'SAR',
             'seg_map_path': 'label'}

    def __init__(self, data_prefix: Optional[dict] = None,
                 suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='optical', sar_path='sar',
                               seg_map_path='lbl')
        if 'sar_path' not in data_prefix:
            raise KeyError('WHUOptSARDataset needs data_prefix sar_path (the '
                           'folder of SAR images).')
        super().__init__(suffixes=suffixes, data_prefix=data_prefix,
                         **kwargs)
