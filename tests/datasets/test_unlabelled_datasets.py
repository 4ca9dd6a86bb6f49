"""Unlabelled optical / SAR / paired data: loading, packing, preprocessing
and the clear errors on bad input."""
import math

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('mmpretrain')

from rsvheat_mm.models.selfsup.data_preprocessor import \
    RSMultiModalDataPreprocessor  # noqa: E402
from rsvheat_mm.datasets.unlabelled_datasets import (OptSarPairDataset,  # noqa: E402
                                         UnlabelledImageFolder,
                                         multimodal_collate)

PIPE = [
    dict(type='rsvheat_mm.LoadMultiModalImages'),
    dict(type='rsvheat_mm.MultiModalResize', scale=32),
    dict(type='rsvheat_mm.PackMultiModalInputs'),
]


def _write(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)
    return path


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    opt = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    sar = rng.integers(0, 65535, (40, 48), dtype=np.uint16)
    _write(tmp_path / 'opt' / 'a.png', opt)
    _write(tmp_path / 'opt' / 'sub' / 'b.jpg', opt)
    _write(tmp_path / 'sar' / 'a.png', sar)
    _write(tmp_path / 'sar' / 'c.tif', sar)
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('no images here')
    return tmp_path, opt, sar


def test_folder_reads_rgb_and_16bit_single_band(folders):
    root, opt, sar = folders
    ds = UnlabelledImageFolder(data_root=str(root / 'opt'), pipeline=PIPE)
    assert len(ds) == 2
    item = ds[0]
    x = item['inputs']['opt']
    assert x.shape == (3, 32, 32) and x.dtype == torch.uint8
    ref = cv2.resize(opt, (32, 32), interpolation=cv2.INTER_LINEAR)[..., ::-1]
    assert torch.equal(x, torch.from_numpy(ref.transpose(2, 0, 1).copy()))
    sds = UnlabelledImageFolder(data_root=str(root / 'sar'), modality='sar',
                                pipeline=[PIPE[0], PIPE[2]])
    assert len(sds) == 2
    s = sds[0]['inputs']['sar']
    assert s.shape == (1, 40, 48) and s.dtype == torch.float32
    assert torch.equal(s[0], torch.from_numpy(sar.astype(np.float32)))
    assert float(s.max()) > 255  # 16-bit values kept


def test_sar_image_where_optical_configured(folders):
    root, _, _ = folders
    ds = UnlabelledImageFolder(data_root=str(root / 'sar'), modality='opt',
                               pipeline=PIPE)
    with pytest.raises(ValueError) as e:
        ds[0]
    msg = str(e.value)
    assert 'a.png' in msg and "'opt' expects 3 band(s)" in msg
    assert 'SAR image' in msg and 'channels=dict(opt=1)' in msg


def test_empty_and_missing_folder(folders):
    root, _, _ = folders
    with pytest.raises(FileNotFoundError, match='no image with an extension'):
        UnlabelledImageFolder(data_root=str(root / 'empty'), pipeline=PIPE)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        UnlabelledImageFolder(data_root=str(root / 'nope'), pipeline=PIPE)


def test_pairs_and_errors(folders):
    root, opt, _ = folders
    _write(root / 'sar' / 'small.png',
           np.zeros((20, 20), dtype=np.uint16))
    (root / 'pairs.txt').write_text(
        '# optical sar\nopt/a.png sar/a.png\n\nopt/a.png, sar/small.png\n')
    ds = OptSarPairDataset(ann_file='pairs.txt', data_root=str(root),
                           pipeline=PIPE)
    assert len(ds) == 2
    item = ds[0]
    assert set(item['inputs']) == {'opt', 'sar'}
    assert item['inputs']['sar'].shape == (1, 32, 32)
    with pytest.raises(ValueError, match='same size') as e:
        ds[1]
    assert 'small.png is 20x20' in str(e.value)
    (root / 'empty.txt').write_text('# nothing\n')
    with pytest.raises(ValueError, match='is empty'):
        OptSarPairDataset(ann_file='empty.txt', data_root=str(root))
    (root / 'bad.txt').write_text('opt/a.png sar/missing.png\n')
    with pytest.raises(FileNotFoundError, match='bad.txt:1: sar image'):
        OptSarPairDataset(ann_file='bad.txt', data_root=str(root))
    (root / 'three.txt').write_text('opt/a.png sar/a.png x.png\n')
    with pytest.raises(ValueError, match='expected two paths'):
        OptSarPairDataset(ann_file='three.txt', data_root=str(root))
    # SAR and optical swapped in the list
    (root / 'swap.txt').write_text('sar/a.png opt/a.png\n')
    swapped = OptSarPairDataset(ann_file='swap.txt', data_root=str(root),
                                pipeline=PIPE)
    with pytest.raises(ValueError, match='SAR image'):
        swapped[0]


def test_preprocessor_groups_mixed_batch(folders):
    root, _, sar = folders
    (root / 'pairs.txt').write_text('opt/a.png sar/a.png\n')
    pairs = OptSarPairDataset(ann_file='pairs.txt', data_root=str(root),
                              pipeline=PIPE)
    opt = UnlabelledImageFolder(data_root=str(root / 'opt'), pipeline=PIPE)
    sars = UnlabelledImageFolder(data_root=str(root / 'sar'), modality='sar',
                                 pipeline=PIPE)
    batch = multimodal_collate([opt[0], pairs[0], sars[0], opt[1]])
    pre = RSMultiModalDataPreprocessor()
    out = pre(batch)
    assert out['inputs']['opt'].shape == (3, 3, 32, 32)
    assert out['inputs']['sar'].shape == (2, 1, 32, 32)
    rows = [d.metainfo['modality_rows'] for d in out['data_samples']]
    assert rows == [{'opt': 0}, {'opt': 1, 'sar': 0}, {'sar': 1},
                    {'opt': 2}]
    # optical: ImageNet mean/std on RGB
    raw = batch['inputs'][0]['opt'].double()
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1).double()
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1).double()
    assert torch.allclose(out['inputs']['opt'][0].double(),
                          (raw - mean) / std, atol=1e-5)
    # SAR: log1p then per-image standardisation (float64 reference)
    s = np.log1p(batch['inputs'][1]['sar'].double().numpy())
    ref = (s - s.mean()) / s.std(ddof=1)
    got = out['inputs']['sar'][0].double().numpy()
    assert np.abs(got - ref).max() / np.abs(ref).max() < 1e-5
    # pseudo_collate layout of a homogeneous batch works too
    out2 = pre(dict(inputs={'opt': [opt[0]['inputs']['opt']]},
                    data_samples=None))
    assert out2['inputs']['opt'].shape == (1, 3, 32, 32)


def test_preprocessor_bad_inputs():
    pre = RSMultiModalDataPreprocessor()
    with pytest.raises(ValueError, match="'opt' needs 3 band"):
        pre(dict(inputs=[{'opt': torch.zeros(1, 32, 32)}], data_samples=None))
    with pytest.raises(ValueError, match='different sizes'):
        pre(dict(inputs=[{'opt': torch.zeros(3, 32, 32)},
                         {'opt': torch.zeros(3, 40, 32)}], data_samples=None))
    with pytest.raises(ValueError, match='not configured'):
        pre(dict(inputs=[{'ms': torch.zeros(4, 32, 32)}], data_samples=None))
    with pytest.raises(ValueError, match='need 3 value'):
        RSMultiModalDataPreprocessor(mean=dict(opt=[1., 2.]),
                                   std=dict(opt=[1., 1.]))


def test_joint_geometry_keeps_pairs_aligned(folders):
    root, _, _ = folders
    from rsvheat_mm.datasets.transforms import (MultiModalRandomFlip,
                                               MultiModalRandomResizedCrop)
    rng = np.random.default_rng(1)
    base = rng.random((50, 60)).astype(np.float32)
    results = dict(imgs=dict(opt=np.repeat(base[..., None], 3, 2),
                             sar=base[..., None].copy()), img_shape=(50, 60))
    np.random.seed(0)
    for t in (MultiModalRandomResizedCrop(scale=(24, 20)),
              MultiModalRandomFlip()):
        results = t.transform(results)
    o, s = results['imgs']['opt'], results['imgs']['sar']
    assert o.shape == (24, 20, 3) and s.shape == (24, 20, 1)
    assert np.array_equal(o[..., 0], s[..., 0])
    assert not math.isclose(float(np.abs(o[..., 0] - base[:24, :20]).max()),
                            0.)
