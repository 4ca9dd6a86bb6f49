"""Scene classification: missing data names the layout and the split
command (issue 17 item 5), not mmpretrain's bare FileNotFoundError."""
import pytest

pytest.importorskip('mmpretrain')

import rsvheat_mm  # noqa: F401,E402


@pytest.mark.parametrize('cls,key', [('AIDDataset', 'aid'),
                                     ('NWPURESISC45Dataset', 'nwpu')])
def test_missing_split_list_names_make_cls_splits(tmp_path, cls, key):
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope('mmpretrain')
    cfg = dict(type=f'rsvheat_mm.{cls}', ann_file='splits/train_tr20.txt',
               data_prefix='')
    with pytest.raises(FileNotFoundError, match=r'image folder .*absent'
                       r'.*make_cls_splits\.py ' + key):
        DATASETS.build(dict(cfg, data_root=str(tmp_path / 'absent')))
    (tmp_path / 'Airport').mkdir()  # images there, split lists not yet
    with pytest.raises(FileNotFoundError, match=r'split list .*train_tr20'
                       r'\.txt.*make_cls_splits\.py ' + key):
        DATASETS.build(dict(cfg, data_root=str(tmp_path)))
