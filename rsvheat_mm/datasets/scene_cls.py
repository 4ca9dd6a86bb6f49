"""Remote-sensing scene classification datasets: AID and NWPU-RESISC45.

Both datasets ship as one folder per class. The standard protocols train on
a fixed fraction of every class and test on the rest: AID TR20 / TR50
(20 % / 50 % for training), NWPU-RESISC45 TR10 / TR20. The split lists are
written by ``tools/dataset_converters/make_cls_splits.py`` as mmpretrain
annotation files (``<class folder>/<file> <label>`` per line, labels are
indices into ``CLASSES`` below, i.e. the sorted class names).

* AID (Xia et al., TGRS 2017): 10 000 images of 600 x 600 px, **30**
  classes (the RS-vHeat release wrongly declares 50).
* NWPU-RESISC45 (Cheng et al., Proc. IEEE 2017): 31 500 images of
  256 x 256 px, 45 classes of 700 images.
"""
import os.path as osp
from typing import Dict, Sequence

from ..registry import DATASETS, register
from .data_layouts import missing_data_error

try:
    from mmpretrain.datasets import CustomDataset
except ImportError:  # pragma: no cover - mmpretrain is an optional host
    CustomDataset = None

__all__ = ['AIDDataset', 'NWPURESISC45Dataset', 'AID_CLASSES',
           'NWPU_RESISC45_CLASSES', 'canonical_class_name',
           'match_class_folders']

AID_CLASSES = (
    'Airport', 'BareLand', 'BaseballField', 'Beach', 'Bridge', 'Center',
    'Church', 'Commercial', 'DenseResidential', 'Desert', 'Farmland',
    'Forest', 'Industrial', 'Meadow', 'MediumResidential', 'Mountain', 'Park',
    'Parking', 'Playground', 'Pond', 'Port', 'RailwayStation', 'Resort',
    'River', 'School', 'SparseResidential', 'Square', 'Stadium',
    'StorageTanks', 'Viaduct')

NWPU_RESISC45_CLASSES = (
    'airplane', 'airport', 'baseball_diamond', 'basketball_court', 'beach',
    'bridge', 'chaparral', 'church', 'circular_farmland', 'cloud',
    'commercial_area', 'dense_residential', 'desert', 'forest', 'freeway',
    'golf_course', 'ground_track_field', 'harbor', 'industrial_area',
    'intersection', 'island', 'lake', 'meadow', 'medium_residential',
    'mobile_home_park', 'mountain', 'overpass', 'palace', 'parking_lot',
    'railway', 'railway_station', 'rectangular_farmland', 'river',
    'roundabout', 'runway', 'sea_ice', 'ship', 'snowberg',
    'sparse_residential', 'stadium', 'storage_tank', 'tennis_court',
    'terrace', 'thermal_power_station', 'wetland')


def canonical_class_name(name: str) -> str:
    """Lower case without ``_``, ``-`` and spaces ("Storage_Tanks" ->
    "storagetanks"), to match folder names of different releases."""
    return ''.join(ch for ch in name.lower() if ch not in '_- ')


def match_class_folders(folders: Sequence[str],
                        classes: Sequence[str]) -> Dict[str, int]:
    """Map class folders to label indices of ``classes``.

    Args:
        folders: Folder names found in the dataset root.
        classes: The dataset's class names (label order).

    Returns:
        ``{folder: label}`` for every class.

    Raises:
        ValueError: When a folder matches no class or a class has no folder
            (the message lists both).
    """
    index = {canonical_class_name(c): i for i, c in enumerate(classes)}
    mapping, unknown = {}, []
    for f in folders:
        i = index.get(canonical_class_name(f))
        if i is None:
            unknown.append(f)
        else:
            mapping[f] = i
    missing = sorted(set(range(len(classes))) - set(mapping.values()))
    if unknown or missing or len(mapping) != len(classes):
        raise ValueError(
            f'Class folders do not match the {len(classes)} expected '
            f'classes. Unknown folders: {unknown or "none"}; classes without '
            f'a folder: {[classes[i] for i in missing] or "none"}. Point the '
            f'root at the folder that directly holds the class folders.')
    return mapping


if CustomDataset is not None:

    class _SceneDataset(CustomDataset):
        """CustomDataset with fixed classes, a label-range check and a clear
        error naming the layout and the split command for missing data."""

        layout_key = 'aid'

        def load_data_list(self):
            prefix = self.data_prefix.get('img_path', '') or self.data_root
            if prefix and not osp.isdir(prefix):
                raise missing_data_error(self.layout_key, 'image folder',
                                         prefix, type(self).__name__)
            if self.ann_file and not osp.isfile(self.ann_file):
                raise missing_data_error(self.layout_key, 'split list',
                                         self.ann_file, type(self).__name__)
            data = super().load_data_list()
            n = len(self.METAINFO['classes'])
            bad = [d for d in data if not 0 <= d['gt_label'] < n]
            if bad:
                raise ValueError(
                    f'{self.ann_file}: label {bad[0]["gt_label"]} of '
                    f'{bad[0]["img_path"]} is outside 0..{n - 1} for '
                    f'{type(self).__name__}; regenerate the split with '
                    f'tools/dataset_converters/make_cls_splits.py.')
            return data

    @register(DATASETS, hosts=('mmpretrain', ))
    class AIDDataset(_SceneDataset):
        """AID: 30 aerial scene classes (use the TR20 / TR50 split lists).

        Args:
            ann_file: Split list from ``make_cls_splits.py`` (e.g.
                ``splits/train_tr20.txt``); '' scans the class folders.
            data_root / data_prefix / **kwargs: As
                :class:`mmpretrain.datasets.CustomDataset`.
        """

        METAINFO = dict(classes=AID_CLASSES)

    @register(DATASETS, hosts=('mmpretrain', ))
    class NWPURESISC45Dataset(_SceneDataset):
        """NWPU-RESISC45: 45 scene classes (use the TR10 / TR20 split lists).

        Args:
            ann_file: Split list from ``make_cls_splits.py``; '' scans the
                class folders.
            data_root / data_prefix / **kwargs: As
                :class:`mmpretrain.datasets.CustomDataset`.
        """

        METAINFO = dict(classes=NWPU_RESISC45_CLASSES)
        layout_key = 'nwpu'
