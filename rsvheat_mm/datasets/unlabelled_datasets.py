"""Unlabelled datasets for self-supervised pretraining.

* :class:`UnlabelledImageFolder` -- every image under a folder (recursive),
  all of one modality (``'opt'``, ``'sar'``, ...).
* :class:`OptSarPairDataset` -- a list file of co-registered optical / SAR
  pairs, one pair per line: ``<optical path> <sar path>`` (whitespace or a
  comma between them; ``#`` starts a comment), relative to
  ``data_prefix['opt']`` / ``data_prefix['sar']``.

Each sample is ``img_path = {modality: path}``; with the transforms of
:mod:`.transforms` it becomes ``inputs = {modality: Tensor}``. Mixing the
datasets (``ConcatDataset``) gives batches whose samples hold different
modalities: use ``collate_fn=dict(type='multimodal_collate')``.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.fileio import get_file_backend, list_from_file
from mmengine.registry import FUNCTIONS

from ..registry import DATASETS, register

__all__ = ['UnlabelledImageFolder', 'OptSarPairDataset', 'multimodal_collate',
           'IMG_EXTENSIONS']

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


@register(DATASETS, hosts=('mmpretrain', ))
class UnlabelledImageFolder(BaseDataset):
    """All images below a folder, of one modality, without labels.

    Args:
        data_root: The folder (searched recursively). Defaults to ''.
        data_prefix: Sub-folder of ``data_root`` as ``dict(img_path=...)``.
            Defaults to ``dict(img_path='')``.
        modality: Modality of every image (a stem name of the backbone).
            Defaults to 'opt'.
        extensions: Accepted file endings (case-insensitive).
            Defaults to ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff').
        recursive: Search sub-folders. Defaults to True.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``indices``, ``lazy_init``, ...).
    """

    def __init__(self, data_root: str = '',
                 data_prefix: Optional[dict] = None, modality: str = 'opt',
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 recursive: bool = True, **kwargs) -> None:
        self.modality = modality
        self.extensions = tuple(e.lower() for e in extensions)
        self.recursive = recursive
        super().__init__(data_root=data_root,
                         data_prefix=data_prefix or dict(img_path=''),
                         **kwargs)

    def load_data_list(self) -> List[Dict[str, Any]]:
        root = self.data_prefix['img_path'] or self.data_root
        backend = get_file_backend(root, enable_singleton=True)
        if not backend.isdir(root):
            raise FileNotFoundError(
                f'UnlabelledImageFolder ({self.modality!r}): folder {root!r} '
                f'does not exist. Set data_root (and data_prefix) to the '
                f'folder holding the images.')
        files = sorted(
            f for f in backend.list_dir_or_file(
                root, list_dir=False, list_file=True,
                recursive=self.recursive)
            if f.lower().endswith(self.extensions))
        if not files:
            raise FileNotFoundError(
                f'UnlabelledImageFolder ({self.modality!r}): no image with '
                f'an extension in {self.extensions} under {root!r} '
                f'(recursive={self.recursive}). Point data_root at a folder '
                f'of images or extend extensions=.')
        return [
            dict(img_path={self.modality: backend.join_path(root, f)},
                 modalities=(self.modality, )) for f in files
        ]


@register(DATASETS, hosts=('mmpretrain', ))
class OptSarPairDataset(BaseDataset):
    """Co-registered optical / SAR pairs listed in a text file.

    Args:
        ann_file: Pair list, one ``<optical> <sar>`` per line (whitespace or
            comma separated; blank lines and ``#`` comments ignored).
            Relative to ``data_root``.
        data_root: Root of the list and the images. Defaults to ''.
        data_prefix: ``dict(opt=..., sar=...)`` folders the two columns are
            relative to (joined with ``data_root``).
            Defaults to ``dict(opt='', sar='')``.
        modalities: Names of the two columns (stem names).
            Defaults to ('opt', 'sar').
        check_files: Check at start that every listed file exists (one stat
            per file). Defaults to True.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self, ann_file: str, data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 modalities: Sequence[str] = ('opt', 'sar'),
                 check_files: bool = True, **kwargs) -> None:
        if len(modalities) != 2:
            raise ValueError(f'modalities must name the two columns, got '
                             f'{modalities!r}')
        self.modalities = tuple(modalities)
        self.check_files = check_files
        prefix = {m: '' for m in self.modalities}
        prefix.update(data_prefix or {})
        super().__init__(ann_file=ann_file, data_root=data_root,
                         data_prefix=prefix, **kwargs)

    def load_data_list(self) -> List[Dict[str, Any]]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'OptSarPairDataset: pair list {self.ann_file!r} not found. '
                f'Write one "<optical> <sar>" pair per line and set '
                f'ann_file (relative to data_root).')
        data = []
        for n, line in enumerate(list_from_file(self.ann_file), 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            cols = line.replace(',', ' ').split()
            if len(cols) != 2:
                raise ValueError(
                    f'{self.ann_file}:{n}: expected two paths '
                    f'"<{self.modalities[0]}> <{self.modalities[1]}>", got '
                    f'{line!r} (paths with spaces are not supported).')
            paths = {}
            for m, rel in zip(self.modalities, cols):
                path = osp.join(self.data_prefix[m], rel)
                if self.check_files and not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{self.ann_file}:{n}: {m} image {path!r} not '
                        f'found. Fix the list or data_prefix[{m!r}].')
                paths[m] = path
            data.append(dict(img_path=paths, modalities=self.modalities))
        if not data:
            raise ValueError(f'OptSarPairDataset: pair list {self.ann_file} '
                             f'is empty; add "<optical> <sar>" lines.')
        return data


def multimodal_collate(data_batch: Sequence[dict]) -> dict:
    """Collate samples whose ``inputs`` hold different modalities.

    mmengine's ``pseudo_collate`` needs every sample to have the same keys;
    this keeps ``inputs`` as a list of per-sample ``{modality: Tensor}``
    dicts (the data preprocessor groups them by modality).

    Args:
        data_batch: Samples ``dict(inputs=..., data_samples=...)``.

    Returns:
        ``dict(inputs=[...], data_samples=[...])``.
    """
    return dict(inputs=[d['inputs'] for d in data_batch],
                data_samples=[d.get('data_samples') for d in data_batch])


if 'multimodal_collate' not in FUNCTIONS.module_dict:
    # mmengine's Runner looks collate functions up in its root registry only.
    FUNCTIONS.register_module(name='multimodal_collate',
                              module=multimodal_collate)
