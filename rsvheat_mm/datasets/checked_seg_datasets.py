"""mmseg's Potsdam and iSAID datasets with a clear "data missing" error.

mmseg's own classes fail on a missing or empty folder with a bare
``FileNotFoundError`` / an empty dataset. These subclasses check the folders
first and name the expected layout and the mmseg converter command (the
converters live in the mmsegmentation repository, not in its pip package;
:mod:`.data_layouts` says where to get them). Everything else is mmseg's.
"""
import os
import os.path as osp

from mmseg.datasets import iSAIDDataset, PotsdamDataset

from ..registry import DATASETS, register
from .data_layouts import missing_data_error

__all__ = ['CheckedPotsdamDataset', 'CheckedISAIDDataset']


def check_seg_folders(dataset, layout_key: str) -> None:
    """Raise :func:`missing_data_error` for a missing or empty folder."""
    for key, what in (('img_path', 'image folder'),
                      ('seg_map_path', 'label folder')):
        folder = dataset.data_prefix.get(key)
        if not folder:
            continue
        if not osp.isdir(folder) or not os.listdir(folder):
            raise missing_data_error(layout_key, what, folder,
                                     type(dataset).__name__)


@register(DATASETS, hosts=('mmseg', ))
class CheckedPotsdamDataset(PotsdamDataset):
    """mmseg ``PotsdamDataset`` (same arguments) checking its folders."""

    def load_data_list(self):
        check_seg_folders(self, 'potsdam')
        return super().load_data_list()


@register(DATASETS, hosts=('mmseg', ))
class CheckedISAIDDataset(iSAIDDataset):
    """mmseg ``iSAIDDataset`` (same arguments) checking its folders."""

    def load_data_list(self):
        check_seg_folders(self, 'isaid')
        return super().load_data_list()
