"""AIR-PolSAR-Seg: Gaofen-3 quad-polarisation SAR terrain segmentation.

AIR-PolSAR-Seg (Wang et al., 2022; github.com/AICyberTeam/AIR-PolSAR-Seg):
500 patches of 512x512 px at 8 m, each with four polarisation images (HH, HV,
VH, VV) and a label of 6 classes. The release is flat, read as shipped::

    AIR-PolSAR-Seg/train_set/<id>_HH.tiff  <id>_HV.tiff  <id>_VH.tiff
                             <id>_VV.tiff  <id>_gt.png
    AIR-PolSAR-Seg/test_set/...            (the same)

``<id>_gt.png`` is an RGB colour image. The colours become class indices on
load (no converter):

=================  ==========  =====
colour (R, G, B)   class       index
=================  ==========  =====
(255, 255, 0)      housing     0
(0, 0, 255)        industrial  1
(0, 255, 0)        natural     2
(255, 0, 0)        land use    3
(0, 255, 255)      water       4
(255, 255, 255)    other       5
(0, 0, 0)          unlabelled  255 (ignored)
=================  ==========  =====

Any other colour is an error naming the file and the colour. Single-channel
index labels (0..5, 255 ignored) are read as indices.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ..registry import DATASETS, register
from .folder_seg_dataset import FolderSegDataset

__all__ = ['AIRPolSARSegDataset', 'AIR_POLSAR_COLORS']

#: official label colour -> class index (255: unlabelled, ignored)
AIR_POLSAR_COLORS = {
    (255, 255, 0): 0, (0, 0, 255): 1, (0, 255, 0): 2, (255, 0, 0): 3,
    (0, 255, 255): 4, (255, 255, 255): 5, (0, 0, 0): 255}


@register(DATASETS, hosts=('mmseg', ))
class AIRPolSARSegDataset(FolderSegDataset):
    """AIR-PolSAR-Seg patches: one image per polarisation, stacked.

    ``img_path`` of a sample is the **list** of its polarisation files, in
    ``polarizations`` order, which
    :class:`~rsvheat_mm.datasets.transforms.LoadMultiImageFromFiles`
    (``path_keys=('img_path', )``, ``color_types='unchanged'``) stacks into one
    ``[H, W, len(polarizations)]`` image keeping its dtype;
    :class:`~rsvheat_mm.datasets.transforms.LoadMappedAnnotations` turns the
    colour label into indices with ``label_color_map``.

    Args:
        data_prefix: Defaults to ``dict(img_path='train_set',
            seg_map_path='train_set')`` (the release: images and labels side
            by side).
        polarizations: Channels to read, in order. Defaults to
            ``('HH', 'HV', 'VH', 'VV')``.
        pol_format: File name of one polarisation, from the sample ``name``
            and ``pol``. Defaults to ``'{name}_{pol}'``.
        suffixes: Defaults to ``'.tiff'`` images, ``'_gt.png'`` labels.
        **kwargs: mmseg ``BaseSegDataset`` arguments.
    """
    METAINFO = dict(
        classes=('housing', 'industrial', 'natural', 'land_use', 'water',
                 'other'),
        palette=[[255, 255, 0], [0, 0, 255], [0, 255, 0], [255, 0, 0],
                 [0, 255, 255], [255, 255, 255]])
    suffixes = {'img_path': '.tiff', 'seg_map_path': '_gt.png'}
    label_value_map = {**{i: i for i in range(6)}, 255: 255}
    label_color_map = AIR_POLSAR_COLORS
    roles = {'img_path': 'polarisation image', 'seg_map_path': 'label'}
    layout_key = 'air_polsar_seg'

    def __init__(self, data_prefix: Optional[dict] = None,
                 polarizations: Sequence[str] = ('HH', 'HV', 'VH', 'VV'),
                 pol_format: str = '{name}_{pol}',
                 suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='train_set',
                               seg_map_path='train_set')
        if not polarizations:
            raise ValueError('polarizations must name at least one channel')
        self.polarizations = tuple(polarizations)
        self.pol_format = pol_format
        super().__init__(suffixes=suffixes, data_prefix=data_prefix,
                         **kwargs)

    def _stems(self, folder: str, suffix: str) -> List[str]:
        # list by the files of the first polarisation
        first = self.pol_format.format(name='', pol=self.polarizations[0])
        names = super()._stems(folder, first + suffix) if not self.ann_file \
            else super()._stems(folder, suffix)
        return names

    def _sample_paths(self, stem: str, folders: Dict[str, str]) -> dict:
        paths = []
        for pol in self.polarizations:
            name = self.pol_format.format(name=stem, pol=pol)
            path = osp.join(folders['img_path'],
                            name + self.suffixes['img_path'])
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'AIRPolSARSegDataset: sample {stem!r} has no {pol} file '
                    f'{path} (polarizations={self.polarizations}, '
                    f'pol_format={self.pol_format!r}).{self._help()}')
            paths.append(path)
        info = dict(img_path=paths)
        if 'seg_map_path' in folders:
            info['seg_map_path'] = self._path('seg_map_path',
                                              folders['seg_map_path'], stem)
        return info
