"""AIR-PolSAR-Seg: Gaofen-3 quad-polarisation SAR terrain segmentation.

AIR-PolSAR-Seg (Wang et al., 2022): 500 patches of 512x512 px at 8 m, each
with four polarisation images (HH, HV, VH, VV) and a label of 6 classes.
Layout read by this class (our reading of the release; every name is a
parameter)::

    AIR-PolSAR-Seg/train_set/images/P0001_HH.tiff  (_HV, _VH, _VV)
    AIR-PolSAR-Seg/train_set/annotations/P0001.png
    AIR-PolSAR-Seg/test_set/...

Labels must be class indices 0..5 (255 ignored); any other value is an error
naming the file. A colour-coded label must be converted to indices first.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from ..registry import DATASETS, register
from .levir_cd import FolderSegDataset

__all__ = ['AIRPolSARSegDataset']


@register(DATASETS, hosts=('mmseg', ))
class AIRPolSARSegDataset(FolderSegDataset):
    """AIR-PolSAR-Seg patches: one image per polarisation, stacked.

    ``img_path`` of a sample is the **list** of its polarisation files, in
    ``polarizations`` order, which
    :class:`~rsvheat_mm.datasets.transforms.LoadMultiImageFromFiles`
    (``path_keys=('img_path', )``, ``color_types='unchanged'``) stacks into one
    ``[H, W, len(polarizations)]`` image keeping its dtype.

    Args:
        data_prefix: Defaults to ``dict(img_path='train_set/images',
            seg_map_path='train_set/annotations')``.
        polarizations: Channels to read, in order. Defaults to
            ``('HH', 'HV', 'VH', 'VV')``.
        pol_format: File name of one polarisation, from the sample ``name``
            and ``pol``. Defaults to ``'{name}_{pol}'``.
        suffixes: Defaults to ``'.tiff'`` images, ``'.png'`` labels.
        **kwargs: mmseg ``BaseSegDataset`` arguments.
    """
    METAINFO = dict(
        classes=('housing', 'industrial', 'natural', 'land_use', 'water',
                 'other'),
        palette=[[255, 0, 0], [255, 255, 0], [0, 255, 0], [0, 0, 255],
                 [0, 255, 255], [128, 128, 128]])
    suffixes = {'img_path': '.tiff', 'seg_map_path': '.png'}
    label_value_map = {**{i: i for i in range(6)}, 255: 255}
    roles = {'img_path': 'polarisation image', 'seg_map_path': 'label'}

    def __init__(self, data_prefix: Optional[dict] = None,
                 polarizations: Sequence[str] = ('HH', 'HV', 'VH', 'VV'),
                 pol_format: str = '{name}_{pol}',
                 suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='train_set/images',
                               seg_map_path='train_set/annotations')
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
                    f'pol_format={self.pol_format!r}).')
            paths.append(path)
        info = dict(img_path=paths)
        if 'seg_map_path' in folders:
            info['seg_map_path'] = self._path('seg_map_path',
                                              folders['seg_map_path'], stem)
        return info
