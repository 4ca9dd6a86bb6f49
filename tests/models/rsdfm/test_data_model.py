"""Generator, dataset, heads, metrics and the collaborative model."""
import json
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import BaseDataElement

from rsvheat_mm.registry import DATASETS, METRICS, MODELS
from rsvheat_mm.datasets.multi_uav_bev import MultiUAVBEVDataset
from rsvheat_mm.datasets.synthetic_multi_uav import SceneConfig, generate_frame
from rsvheat_mm.evaluation.metrics.bev_metrics import (BEVCenterAPMetric,
                                                       BEVSegIoUMetric,
                                                       average_precision)
from rsvheat_mm.models.rsdfm import BEVCenterHead


def test_generator_is_deterministic_and_varied():
    a, b = generate_frame(7, 3), generate_frame(7, 3)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    c = generate_frame(8, 3)
    assert not np.array_equal(a['imgs'][0], c['imgs'][0])
    cfg = SceneConfig()
    pitches, agents = [], []
    for i in range(12):
        f = generate_frame(0, i)
        n = len(f['imgs'])
        agents.append(n)
        assert 2 <= n <= 4
        alt = f['cam2world'][:, 2, 3]
        assert (alt >= 30).all() and (alt <= 80).all()
        fwd = f['cam2world'][:, :3, 2]
        pitches += list(np.degrees(np.arcsin(-fwd[:, 2])))
        vis = f['bev_visible']
        # limited field of view: no platform sees the whole grid, together
        # they see more than the best one alone
        assert vis.mean((1, 2)).max() < 0.95
        assert vis.any(0).mean() > vis.mean((1, 2)).max()
        assert set(np.unique(f['bev_seg'])) <= {0, 1, 2}
        assert f['imgs'].shape[1:] == cfg.image_size + (3, )
    assert len(set(agents)) >= 2
    assert np.ptp(pitches) > 15


def test_dataset_reads_the_documented_format(uav_data):
    meta = json.loads((uav_data / 'meta.json').read_text())
    assert meta['format'] == 'rsvheat_mm.rsdfm.multi_uav'
    assert meta['stats']['val']['frames'] == 16
    ds = DATASETS.build(dict(type='MultiUAVBEVDataset',
                             data_root=str(uav_data), split='val'))
    assert len(ds) == 16
    item = ds[2]
    name = item['data_samples'].metainfo['frame']
    raw = np.load(uav_data / 'frames' / name)
    n = raw['imgs'].shape[0]
    inp = item['inputs']
    assert inp['imgs'].shape == (4, 3, 64, 64)
    assert inp['agent_mask'].tolist() == [True] * n + [False] * (4 - n)
    np.testing.assert_array_equal(inp['imgs'][:n].permute(0, 2, 3, 1),
                                  raw['imgs'])
    np.testing.assert_array_equal(inp['cam2world'][:n], raw['cam2world'])
    np.testing.assert_array_equal(item['data_samples'].gt_bev_seg,
                                  raw['bev_seg'])
    # platform 1 drops out from frame 0 on
    dropped = MultiUAVBEVDataset(str(uav_data), 'val',
                                 drop_agents=dict(agents=[1], after_frame=0))
    assert not dropped[2]['inputs']['agent_mask'][1]
    with pytest.raises(ValueError, match='max_agents'):
        MultiUAVBEVDataset(str(uav_data), 'train', max_agents=1)[0]


def test_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='generate_scenes.py'):
        MultiUAVBEVDataset(str(tmp_path), 'train')
    (tmp_path / 'meta.json').write_text(json.dumps(dict(format='x')))
    with pytest.raises(ValueError, match='regenerate'):
        MultiUAVBEVDataset(str(tmp_path), 'train')


def _batch(root, n=3, split='val'):
    ds = MultiUAVBEVDataset(str(root), split)
    return pseudo_collate([ds[i] for i in range(n)])


def test_model_bad_inputs(uav_data, tiny_model_cfg):
    model = MODELS.build(tiny_model_cfg()).eval()
    batch = _batch(uav_data)
    inputs = dict(batch['inputs'])
    inputs['cam2world'] = [p[:3] for p in inputs['cam2world']]
    with pytest.raises(ValueError, match='mismatched platform counts'):
        model(inputs, batch['data_samples'], mode='predict')
    inputs = dict(batch['inputs'])
    bad = [p.clone() for p in inputs['cam2world']]
    bad[1][0, 2, 3] = -10.0  # camera under the ground
    inputs['cam2world'] = bad
    with pytest.raises(ValueError, match='under .*the ground'):
        model(inputs, batch['data_samples'], mode='predict')
    small = MODELS.build(tiny_model_cfg(codec=dict(budget=64))).eval()
    with pytest.raises(ValueError, match='low-frequency part'):
        small(batch['inputs'], batch['data_samples'], mode='predict')


def test_model_robust_to_a_missing_platform(uav_data, tiny_model_cfg):
    """Masking platform k gives exactly the output without platform k."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg()).eval()
    ds = MultiUAVBEVDataset(str(uav_data), 'val')
    idx = next(i for i in range(len(ds))
               if ds[i]['inputs']['agent_mask'].sum() >= 3)
    item = ds[idx]
    masked = {k: v.clone() for k, v in item['inputs'].items()}
    masked['agent_mask'][1] = False
    masked['imgs'][1] = 255 - masked['imgs'][1]  # garbage in the gap
    removed = {k: torch.cat([v[:1], v[2:], v[1:2]])
               for k, v in item['inputs'].items()}
    removed['agent_mask'][-1] = False
    with torch.no_grad():
        seg_m, _ = model(pseudo_collate([masked]), mode='tensor')
        seg_r, _ = model(pseudo_collate([removed]), mode='tensor')
        seg_all, _ = model(pseudo_collate([item['inputs']]), mode='tensor')
    torch.testing.assert_close(seg_m, seg_r, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(seg_m, seg_all, atol=1e-4)
    out = model.predict(pseudo_collate([masked]))[0]
    n = int(item['inputs']['agent_mask'].sum())
    assert len(out.bytes_sent) == n - 1 and out.bytes_sent[0] == 0
    assert out.bytes_sent[1] == 8 * 32 * 32  # 1/4 of 8 x 32 x 32 x 4 B
    assert out.pred_bev_seg_agents.shape == (n - 1, 32, 32)


def test_model_loss_and_gradients(uav_data, tiny_model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(det_head=dict(), pose_noise=(0.5,
                                                                     1.0)))
    batch = _batch(uav_data, 2, 'train')
    losses = model(batch['inputs'], batch['data_samples'], mode='loss')
    assert set(losses) == {'loss_seg_ce', 'loss_seg_dice', 'loss_heat',
                           'loss_reg', 'loss_height'}
    sum(losses.values()).backward()
    for name in ('backbone', 'view_transformer', 'fusion', 'seg_head',
                 'det_head'):
        grads = [p.grad for p in getattr(model, name).parameters()]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name


def test_det_head_roundtrip_and_ap():
    head = BEVCenterHead(4)
    boxes = torch.tensor([[3.3, -7.1, 1.0, 5.0, 2.5, 2.0, 0.4],
                          [-12.6, 20.2, 1.0, 6.0, 2.2, 2.0, -2.0],
                          [0.0, 0.0, 5.0, 9.0, 9.0, 10.0, 0.0]])
    labels = torch.tensor([0, 0, 1])  # the building is not a target
    tgt = head.targets([boxes], [labels], torch.zeros(1))
    assert tgt['mask'].sum() == 2
    logit = torch.logit(tgt['heat'].clamp(1e-4, 1 - 1e-4))
    det = head.predict(dict(heat=logit, reg=tgt['reg']))[0]
    top = det['scores'] > 0.9
    got = det['boxes'][top]
    order = got[:, 0].argsort(descending=True)
    torch.testing.assert_close(got[order], boxes[:2][:, [0, 1, 3, 4, 6]],
                               rtol=1e-5, atol=1e-5)
    metric = BEVCenterAPMetric(thresholds=(0.5, 2.0))
    gt = BaseDataElement(gt_boxes=boxes, gt_labels=labels)
    metric.process({}, [dict(pred_det=dict(boxes=got, scores=det['scores'][
        top], labels=det['labels'][top]), gt_boxes=boxes, gt_labels=labels)])
    assert metric.compute_metrics(metric.results)['mAP'] == pytest.approx(1)
    shifted = got.clone()
    shifted[1, 0] += 1.0  # the lower-ranked one misses at 0.5 m
    res = metric.compute_metrics([dict(
        boxes=shifted[:, :2].numpy(), scores=np.array([0.9, 0.8]),
        labels=np.array([0, 0]), gt=gt.gt_boxes[:, :2].numpy(),
        gt_labels=labels.numpy())])
    assert res['AP@0.5m'] == pytest.approx(0.5) and res['AP@2m'] == 1.0


def test_average_precision_reference():
    # 3 GT; ranked TP, FP, TP -> all-point AP = 1/3 * 1 + 1/3 * 2/3
    ap = average_precision(np.array([0.9, 0.8, 0.7]),
                           np.array([True, False, True]), 3)
    assert ap == pytest.approx(1 / 3 + 2 / 9)
    assert math.isnan(average_precision(np.zeros(0), np.zeros(0, bool), 0))


def test_seg_metric_best_single_and_bytes():
    metric = METRICS.build(dict(type='BEVSegIoUMetric'))
    metric.dataset_meta = dict(classes=('background', 'vehicle',
                                        'building'))
    gt = torch.zeros(4, 4, dtype=torch.long)
    gt[0, :2] = 1
    gt[2:, 2:] = 2
    fused = gt.clone()
    fused[0, 1] = 0  # vehicle IoU 1/2, building IoU 1
    agent_a = torch.zeros_like(gt)
    agent_a[2:, 2:] = 2  # sees only the building
    agent_b = torch.zeros_like(gt)
    agent_b[0, 0] = 1  # sees half the vehicle only
    metric.process({}, [dict(gt_bev_seg=gt, pred_bev_seg=fused,
                             pred_bev_seg_agents=torch.stack(
                                 [agent_a, agent_b]),
                             bytes_sent=[0, 100, 300])])
    res = metric.compute_metrics(metric.results)
    assert res['IoU_vehicle'] == pytest.approx(0.5)
    assert res['IoU_building'] == pytest.approx(1.0)
    # agent a: mIoU (0 + 1) / 2 = 0.5 beats agent b: (0.5 + 0) / 2
    assert res['best_single_IoU_building'] == pytest.approx(1.0)
    assert res['best_single_mIoU'] == pytest.approx(0.5)
    assert res['gain_over_best_single'] == pytest.approx(0.25)
    assert res['bytes_per_agent'] == 200 and res['bytes_per_frame'] == 400


@pytest.mark.parametrize('name', [
    'rsdfm-collab_rsvheat-s8_adamw-2k_synth-multiuav.py',
    'rsdfm-single_rsvheat-s8_adamw-2k_synth-multiuav.py'
])
def test_configs_build(repo_root, name):
    cfg = Config.fromfile(str(repo_root / 'configs' / 'rsdfm' / name))
    assert cfg.custom_imports.imports == ['rsvheat_mm']
    model = MODELS.build(cfg.model)
    assert model.mode == ('single' if 'single' in name else 'collab')
    assert (model.codec is None) == (model.mode == 'single')
