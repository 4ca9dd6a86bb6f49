"""make_cls_splits.py: deterministic train-ratio splits keeping every class."""
import importlib.util
from pathlib import Path

import pytest

from rsvheat_mm.datasets.scene_cls import AID_CLASSES, NWPU_RESISC45_CLASSES

TOOL = Path(__file__).resolve().parents[2] / \
    'tools/dataset_converters/make_cls_splits.py'


def _tool():
    spec = importlib.util.spec_from_file_location('make_cls_splits', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake(root: Path, classes, counts, ext='.jpg'):
    for i, c in enumerate(classes):
        d = root / c
        d.mkdir(parents=True)
        for j in range(counts[i % len(counts)]):
            (d / f'{c.lower()}_{j}{ext}').write_bytes(b'')
    return root


def _read(path):
    return [ln.rsplit(' ', 1) for ln in Path(path).read_text().splitlines()]


@pytest.mark.parametrize('dataset,classes,ratios', [
    ('aid', AID_CLASSES, (0.2, 0.5)),
    ('nwpu', NWPU_RESISC45_CLASSES, (0.1, 0.2)),
])
def test_splits_deterministic_and_complete(tmp_path, dataset, classes,
                                           ratios):
    tool = _tool()
    counts = [2, 3, 7, 10, 23]
    root = _fake(tmp_path / 'data', classes, counts)
    a = tool.make_splits(str(root), dataset, str(tmp_path / 'a'))
    b = tool.make_splits(str(root), dataset, str(tmp_path / 'b'))
    tags = [f'tr{int(r * 100):02d}' for r in ratios]
    assert sorted(a) == sorted(f'{p}_{t}.txt' for p in ('train', 'val')
                               for t in tags)
    for name in a:
        assert Path(a[name]).read_text() == Path(b[name]).read_text()
    for r, tag in zip(ratios, tags):
        train = _read(a[f'train_{tag}.txt'])
        val = _read(a[f'val_{tag}.txt'])
        tr_files = {f for f, _ in train}
        va_files = {f for f, _ in val}
        assert not tr_files & va_files
        assert len(tr_files) + len(va_files) == sum(
            counts[i % len(counts)] for i in range(len(classes)))
        for i, c in enumerate(classes):
            n = counts[i % len(counts)]
            n_tr = sum(1 for f, lab in train if int(lab) == i)
            n_va = sum(1 for f, lab in val if int(lab) == i)
            # every class in each split, round(r * n) clamped to [1, n-1]
            assert n_tr == min(max(round(r * n), 1), n - 1)
            assert n_va == n - n_tr and n_va >= 1
            assert all(f.split('/')[0] == c for f, lab in train + val
                       if int(lab) == i)
    # another seed gives another split (but the same class counts)
    c = tool.make_splits(str(root), dataset, str(tmp_path / 'c'), seed=1)
    name = f'train_{tags[-1]}.txt'
    assert Path(c[name]).read_text() != Path(a[name]).read_text()


def test_class_order_and_counts():
    assert len(AID_CLASSES) == 30 and len(set(AID_CLASSES)) == 30
    assert len(NWPU_RESISC45_CLASSES) == 45
    assert len(set(NWPU_RESISC45_CLASSES)) == 45
    assert list(AID_CLASSES) == sorted(AID_CLASSES)
    assert list(NWPU_RESISC45_CLASSES) == sorted(NWPU_RESISC45_CLASSES)


def test_folder_name_variants_and_errors(tmp_path):
    tool = _tool()
    # NWPU folders with other spelling still match
    variants = [c.upper().replace('_', ' ') for c in NWPU_RESISC45_CLASSES]
    root = _fake(tmp_path / 'nwpu', variants, [3])
    out = tool.make_splits(str(root), 'nwpu', str(tmp_path / 's'), [0.5])
    assert len(_read(out['train_tr50.txt'])) == 45 * 2
    # unknown folder
    bad = _fake(tmp_path / 'bad', list(AID_CLASSES[:29]) + ['Harbour'], [3])
    with pytest.raises(ValueError) as e:
        tool.make_splits(str(bad), 'aid', str(tmp_path / 'x'))
    assert 'Harbour' in str(e.value) and 'Viaduct' in str(e.value)
    # class folder without images
    few = _fake(tmp_path / 'few', AID_CLASSES, [3])
    for f in (few / 'Beach').iterdir():
        f.unlink()
    with pytest.raises(FileNotFoundError, match='Beach'):
        tool.make_splits(str(few), 'aid', str(tmp_path / 'y'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.make_splits(str(tmp_path / 'none'), 'aid', str(tmp_path / 'z'))
    with pytest.raises(ValueError, match=r'in \(0, 1\)'):
        tool.make_splits(str(few), 'aid', str(tmp_path / 'z'), [1.0])


def test_cli(tmp_path, capsys):
    tool = _tool()
    root = _fake(tmp_path / 'AID', AID_CLASSES, [4])
    tool.main(['aid', str(root)])
    printed = capsys.readouterr().out
    assert 'train_tr20.txt: 30 images' in printed
    assert 'val_tr50.txt: 60 images' in printed
    assert (root / 'splits' / 'val_tr20.txt').is_file()
