"""LEVIR-CD building change detection, and the folder-scanning base class.

LEVIR-CD (Chen & Shi, Remote Sensing 2020): 637 pairs of 1024x1024 Google
Earth images at 0.5 m (445 train / 64 val / 128 test), before image in
``A/``, after image in ``B/``, binary change mask in ``label/`` (0 unchanged,
255 changed), the same file name in each folder::

    data/levir_cd/{train,val,test}/{A,B,label}/train_1.png ...

Labels are binarised the LEVIR way: 0 -> 0 (unchanged), 255 -> 1 (changed);
any other value is an error naming the file (see
:class:`~rsvheat_mm.datasets.transforms.LoadMappedAnnotations`).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.fileio import list_from_file
from mmseg.datasets import BaseSegDataset

from ..registry import DATASETS, register

__all__ = ['FolderSegDataset', 'LEVIRCDPairDataset']


class FolderSegDataset(BaseSegDataset):
    """Samples whose files lie in parallel folders under one file name.

    ``data_prefix`` maps result keys to folders: ``img_path`` is the
    reference folder that is listed (or named by ``ann_file``), every other
    key (``img_path2``, ``sar_path``, ...) must hold a file of the same stem,
    and ``seg_map_path`` the label. Leave ``seg_map_path`` out (or empty) to
    predict without labels. Missing folders and missing partner files raise
    ``FileNotFoundError`` naming the path.

    Subclasses set ``suffixes`` (key -> file suffix), ``label_value_map``
    and ``METAINFO``.

    Args:
        suffixes: Override of the class's ``{key: suffix}``. Defaults to None.
        **kwargs: Passed to mmseg's ``BaseSegDataset`` (``data_root``,
            ``data_prefix``, ``ann_file``, ``pipeline``, ``test_mode`` ...).
    """
    suffixes: Dict[str, str] = {'img_path': '.png', 'seg_map_path': '.png'}
    #: raw label value -> class index, or None to keep raw values
    label_value_map: Optional[Dict[int, int]] = None
    #: how each key is called in error messages
    roles: Dict[str, str] = {'img_path': 'image', 'seg_map_path': 'label'}

    def __init__(self, suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        self.suffixes = dict(self.suffixes, **(suffixes or {}))
        prefix = kwargs.get('data_prefix', {})
        self.has_labels = bool(prefix.get('seg_map_path'))
        kwargs.setdefault('img_suffix', self.suffixes['img_path'])
        kwargs.setdefault('seg_map_suffix',
                          self.suffixes.get('seg_map_path', '.png'))
        super().__init__(**kwargs)

    def _role(self, key: str) -> str:
        return self.roles.get(key, key)

    def _folder(self, key: str) -> str:
        folder = self.data_prefix.get(key, '')
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{self.__class__.__name__}: the {self._role(key)} folder '
                f'{folder!r} (data_prefix[{key!r}]) does not exist. Check '
                f'data_root={self.data_root!r} and data_prefix.')
        return folder

    def _stems(self, folder: str, suffix: str) -> List[str]:
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(f'ann_file {self.ann_file} not found')
            return [s.strip() for s in list_from_file(self.ann_file)
                    if s.strip()]
        stems = sorted(f[:-len(suffix)] for f in os.listdir(folder)
                       if f.endswith(suffix))
        if not stems:
            raise FileNotFoundError(
                f'{self.__class__.__name__}: no *{suffix} files in the '
                f'{self._role("img_path")} folder {folder}. Check the suffix '
                f'(suffixes={self.suffixes}).')
        return stems

    def _path(self, key: str, folder: str, stem: str) -> str:
        path = osp.join(folder, stem + self.suffixes[key])
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.__class__.__name__}: sample {stem!r} has no '
                f'{self._role(key)} file {path}. Every sample needs one file '
                f'per folder with the same name.')
        return path

    def _image_keys(self) -> List[str]:
        return [k for k in self.data_prefix if k != 'seg_map_path']

    def _sample_paths(self, stem: str, folders: Dict[str, str]) -> dict:
        """Paths of one sample; overridden for multi-file images."""
        return {k: self._path(k, folders[k], stem) for k in folders}

    def load_data_list(self) -> List[dict]:
        keys = self._image_keys()
        if 'img_path' not in keys:
            raise KeyError(f'data_prefix needs an img_path folder, got '
                           f'{self.data_prefix}')
        missing = [k for k in keys if k not in self.suffixes]
        if missing:
            raise KeyError(f'No suffix known for data_prefix keys {missing}; '
                           f'pass suffixes={{key: ".png"}}')
        folders = {k: self._folder(k) for k in keys}
        if self.has_labels:
            folders['seg_map_path'] = self._folder('seg_map_path')
        data_list = []
        for stem in self._stems(folders['img_path'],
                                self.suffixes['img_path']):
            info = self._sample_paths(stem, folders)
            info.setdefault('seg_map_path', None)
            info.update(label_map=self.label_map,
                        label_value_map=self.label_value_map,
                        reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[])
            data_list.append(info)
        return data_list


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
