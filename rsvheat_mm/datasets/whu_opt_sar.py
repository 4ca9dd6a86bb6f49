"""WHU-OPT-SAR: paired optical and SAR land-use segmentation.

WHU-OPT-SAR (Li et al., "MCANet", JAG 2022; github.com/AmberHen/
WHU-OPT-SAR-dataset): 100 co-registered scenes of 5556x3704 px over Hubei,
China -- GF-1 optical (4 bands: the README names RGB and NIR; the band
order inside the TIFF is not documented, see ``bands`` below), GF-3 SAR
(1 band, resampled to 5 m) and a label map. The release is flat::

    WHU-OPT-SAR/optical/NH49E001013.tif
    WHU-OPT-SAR/sar/NH49E001013.tif
    WHU-OPT-SAR/lbl/NH49E001013.tif
    WHU-OPT-SAR/The division of the dataset.txt   (train: 80, test: 20)

The split file has a ``train:`` line, 80 names *with* ``.tif``, a ``test:``
line and 20 names (CRLF line ends); there is no validation split. Label
values 10..70 are the seven classes below; 0 (background) is ignored.

``tools/dataset_converters/whu_opt_sar.py`` tiles the scenes into 512 px
tiles per split (what the shipped config reads); this class reads both the
tiles and the full scenes (with ``ann_file`` = the official split file and
``split``).
"""
import os.path as osp
import re
from typing import Dict, List, Optional

from ..registry import DATASETS, register
from .folder_seg_dataset import FolderSegDataset

__all__ = ['WHUOptSARDataset', 'parse_whu_split_file']

_HEADER = re.compile(r'^\s*(train|val|validation|test)\s*:\s*$', re.I)


def parse_whu_split_file(path: str) -> Dict[str, List[str]]:
    """Scene stems per split of "The division of the dataset.txt".

    Accepts the file as shipped (``train:`` / ``test:`` header lines, names
    with ``.tif``, CRLF, blank lines) and plain stem lists.

    Args:
        path: The split file.

    Returns:
        ``{split: [stems]}``; a file without headers gives ``{'': stems}``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A name appears twice, or the file is empty.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'WHU-OPT-SAR split file {path!r} not found '
                                f'(the release ships "The division of the '
                                f'dataset.txt").')
    splits: Dict[str, List[str]] = {}
    current = ''
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            head = _HEADER.match(line)
            if head:
                current = head.group(1).lower()
                splits.setdefault(current, [])
                continue
            stem = line[:-4] if line.lower().endswith('.tif') else line
            if any(stem in v for v in splits.values()):
                raise ValueError(f'{path}:{lineno}: scene {stem!r} is listed '
                                 f'twice. Fix the split file.')
            splits.setdefault(current, []).append(stem)
    if not any(splits.values()):
        raise ValueError(f'{path}: no scene names. Expected "train:", 80 '
                         f'names, "test:", 20 names.')
    return splits


@register(DATASETS, hosts=('mmseg', ))
class WHUOptSARDataset(FolderSegDataset):
    """WHU-OPT-SAR optical + SAR pairs with their land-use label.

    Each sample gives ``img_path`` (optical) and ``sar_path`` for
    :class:`~rsvheat_mm.datasets.transforms.LoadMultiImageFromFiles`
    (``path_keys=('img_path', 'sar_path')``; choose the optical bands there
    with ``bands``, e.g. ``((0, 1, 2), None)`` for the first three) and a
    label translated by ``label_value_map`` (0 -> ignored, 10 -> 0 farmland,
    ..., 70 -> 6 others).

    Args:
        data_prefix: Folders. Defaults to ``dict(img_path='optical',
            sar_path='sar', seg_map_path='lbl')`` (the release).
        suffixes: Defaults to ``'.tif'`` for all three.
        split: With an ``ann_file`` that has ``train:`` / ``test:`` headers
            (the official split file as shipped), the split to read.
            Defaults to None (``'train'`` unless ``test_mode``, then
            ``'test'``).
        **kwargs: mmseg ``BaseSegDataset`` arguments (``ann_file``: the
            official split file or a plain list of scene / tile stems).
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
    layout_key = 'whu_opt_sar'

    def __init__(self, data_prefix: Optional[dict] = None,
                 suffixes: Optional[Dict[str, str]] = None,
                 split: Optional[str] = None, **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='optical', sar_path='sar',
                               seg_map_path='lbl')
        if 'sar_path' not in data_prefix:
            raise KeyError('WHUOptSARDataset needs data_prefix sar_path (the '
                           'folder of SAR images).')
        self.split = split or ('test' if kwargs.get('test_mode') else
                               'train')
        super().__init__(suffixes=suffixes, data_prefix=data_prefix,
                         **kwargs)

    def _stems(self, folder: str, suffix: str) -> List[str]:
        if not self.ann_file:
            return super()._stems(folder, suffix)
        if not osp.isfile(self.ann_file):
            super()._stems(folder, suffix)  # raises the clear error
        splits = parse_whu_split_file(self.ann_file)
        if '' in splits and len(splits) == 1:
            return splits['']
        if self.split not in splits:
            raise KeyError(f'{self.ann_file} has the splits {sorted(splits)}'
                           f', not {self.split!r}. Set split= to one of '
                           f'them (WHU-OPT-SAR has no validation split).')
        return splits[self.split]
