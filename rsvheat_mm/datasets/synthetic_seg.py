"""mmseg dataset over the embedded synthetic remote-sensing tiles."""
from typing import Optional

from mmseg.datasets import BaseSegDataset

from ..registry import DATASETS, register
from .synthetic_rs import CLASSES, PALETTE, make_synthetic_split


@register(DATASETS, hosts=('mmseg', ))
class SyntheticRSSegDataset(BaseSegDataset):
    """Procedural aerial tiles with 5 classes (no download needed).

    The tiles are generated into ``data_root`` on first use (see
    :func:`~.synthetic_rs.make_synthetic_split`), then read like any mmseg
    dataset with ``img_dir/{split}`` and ``ann_dir/{split}`` PNGs.

    Args:
        split: ``'train'``, ``'val'`` or ``'test'``. Defaults to ``'train'``.
        num_images: Tiles in the split. Defaults to 64.
        img_size: Tile side in pixels. Defaults to 128.
        seed: Generation seed. Defaults to 0.
        data_root: Folder to write / read. Defaults to
            ``'data/synthetic_rs'``.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    def __init__(self, split: str = 'train', num_images: int = 64,
                 img_size: int = 128, seed: int = 0,
                 data_root: Optional[str] = 'data/synthetic_rs',
                 **kwargs) -> None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        make_synthetic_split(data_root, split, num_images, img_size, seed)
        kwargs.setdefault('data_prefix', dict(img_path=f'img_dir/{split}',
                                              seg_map_path=f'ann_dir/{split}'))
        self._num_images = num_images
        self._split = split
        super().__init__(img_suffix='.png', seg_map_suffix='.png',
                         data_root=data_root, reduce_zero_label=False,
                         **kwargs)

    def load_data_list(self):
        # only the tiles this instance asked for, even if more exist on disk
        names = {f'{self._split}_{i:04d}.png' for i in range(self._num_images)}
        return [d for d in super().load_data_list()
                if d['img_path'].rsplit('/', 1)[-1] in names]
