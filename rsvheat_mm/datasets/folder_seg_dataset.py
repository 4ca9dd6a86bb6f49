"""Base class of segmentation datasets whose files lie in parallel folders.

Serves LEVIR-CD (``A/``, ``B/``, ``label/``), WHU-OPT-SAR (``optical/``,
``sar/``, ``lbl/``) and AIR-PolSAR-Seg (one file per polarisation).
"""
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.fileio import list_from_file
from mmseg.datasets import BaseSegDataset

from .data_layouts import layout_help

__all__ = ['FolderSegDataset']


class FolderSegDataset(BaseSegDataset):
    """Samples whose files lie in parallel folders under one file name.

    ``data_prefix`` maps result keys to folders: ``img_path`` is the
    reference folder that is listed (or named by ``ann_file``), every other
    key (``img_path2``, ``sar_path``, ...) must hold a file of the same stem,
    and ``seg_map_path`` the label. Leave ``seg_map_path`` out (or empty) to
    predict without labels. Missing folders and missing partner files raise
    ``FileNotFoundError`` naming the path and, for datasets with a
    ``layout_key``, the expected layout and the command that prepares it
    (:mod:`.data_layouts`). Suffixes match case-insensitively (``x.PNG`` is
    a ``.png`` file; the partner files may differ in case too).

    Subclasses set ``suffixes`` (key -> file suffix), ``label_value_map``,
    ``layout_key`` and ``METAINFO``.

    Args:
        suffixes: Override of the class's ``{key: suffix}``. Defaults to None.
        **kwargs: Passed to mmseg's ``BaseSegDataset`` (``data_root``,
            ``data_prefix``, ``ann_file``, ``pipeline``, ``test_mode`` ...).
    """
    suffixes: Dict[str, str] = {'img_path': '.png', 'seg_map_path': '.png'}
    #: raw label value -> class index, or None to keep raw values
    label_value_map: Optional[Dict[int, int]] = None
    #: RGB colour -> class index of colour-coded labels, or None
    label_color_map: Optional[Dict[tuple, int]] = None
    #: how each key is called in error messages
    roles: Dict[str, str] = {'img_path': 'image', 'seg_map_path': 'label'}
    #: key of :data:`~rsvheat_mm.datasets.data_layouts.LAYOUTS`, or None
    layout_key: Optional[str] = None

    def __init__(self, suffixes: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        self.suffixes = dict(self.suffixes, **(suffixes or {}))
        self._listings: Dict[str, Dict[str, str]] = {}
        prefix = kwargs.get('data_prefix', {})
        self.has_labels = bool(prefix.get('seg_map_path'))
        kwargs.setdefault('img_suffix', self.suffixes['img_path'])
        kwargs.setdefault('seg_map_suffix',
                          self.suffixes.get('seg_map_path', '.png'))
        super().__init__(**kwargs)

    def _role(self, key: str) -> str:
        return self.roles.get(key, key)

    def _help(self) -> str:
        return f' {layout_help(self.layout_key)}' if self.layout_key else ''

    def _listing(self, folder: str) -> Dict[str, str]:
        """``{lower-case file name: file name}`` of ``folder`` (cached)."""
        if folder not in self._listings:
            self._listings[folder] = {f.lower(): f
                                      for f in os.listdir(folder)}
        return self._listings[folder]

    def _folder(self, key: str) -> str:
        folder = self.data_prefix.get(key, '')
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{self.__class__.__name__}: the {self._role(key)} folder '
                f'{folder!r} (data_prefix[{key!r}]) does not exist. Check '
                f'data_root={self.data_root!r} and data_prefix.'
                f'{self._help()}')
        return folder

    def _stems(self, folder: str, suffix: str) -> List[str]:
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(
                    f'{self.__class__.__name__}: ann_file {self.ann_file} '
                    f'not found.{self._help()}')
            return [s.strip() for s in list_from_file(self.ann_file)
                    if s.strip()]
        low = suffix.lower()
        stems = sorted(f[:-len(suffix)] for f in self._listing(folder).values()
                       if f.lower().endswith(low))
        if not stems:
            raise FileNotFoundError(
                f'{self.__class__.__name__}: no *{suffix} files in the '
                f'{self._role("img_path")} folder {folder}. Check the suffix '
                f'(suffixes={self.suffixes}).{self._help()}')
        return stems

    def _path(self, key: str, folder: str, stem: str) -> str:
        path = osp.join(folder, stem + self.suffixes[key])
        if not osp.isfile(path):  # the same name in another case?
            name = self._listing(folder).get(osp.basename(path).lower())
            if name is not None:
                return osp.join(folder, name)
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
                        label_color_map=self.label_color_map,
                        reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[])
            data_list.append(info)
        return data_list
