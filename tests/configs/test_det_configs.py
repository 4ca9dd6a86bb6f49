"""Each detection config builds, trains two iterations and predicts on a
real tile (tiny RSvHeat, narrow heads, 256 px)."""
import math
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmdet')
pytest.importorskip('mmrotate')

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from det_helpers import (CONFIGS, REPO, dataset_cfgs,  # noqa: E402
                         runner_cfg, shrink_model)

EXPECT = {  # dataset type, classes, box dims, in_channels
    'dior': ('DIORHBBDataset', 20, 4, 3),
    'sar': ('SARAircraftDataset', 7, 4, 1),
    'dota': ('CheckedDOTADataset', 15, 5, 3),
    'fair1m': ('FAIR1MDataset', 37, 5, 3),
}


@pytest.mark.parametrize('name', list(CONFIGS))
def test_config_contents(name):
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    dtype, ncls, _, in_ch = EXPECT[name]
    assert cfg.custom_imports == dict(imports=['rsvheat_mm'],
                                      allow_failed_imports=False)
    assert cfg.default_scope == ('mmdet' if ncls in (20, 7) else 'mmrotate')
    assert cfg.model.backbone.type == 'RSvHeat'
    assert cfg.model.backbone.arch == 'base'
    assert cfg.model.backbone.in_channels == in_ch
    assert cfg.model.neck.in_channels == [128, 256, 512, 1024]
    assert cfg.model.roi_head.bbox_head.num_classes == ncls
    assert cfg.val_dataloader.dataset.type == dtype
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert len(cfg.model.data_preprocessor.mean) == in_ch
    if name == 'sar':
        assert cfg.train_dataloader.dataset.pipeline[0].color_type == \
            'grayscale'
    if ncls in (20, 7):
        assert cfg.val_evaluator.type == 'VOCMetric'
        assert cfg.val_evaluator.iou_thrs == [0.5]
    else:
        assert cfg.model.roi_head.bbox_head.bbox_coder.angle_version == 'le90'
        assert cfg.val_evaluator.type == 'DOTAMetric'
        assert cfg.test_evaluator.type == 'rsvheat_mm.DetSubmissionMetric'
        assert cfg.test_evaluator.formats == (
            ('dota', ) if name == 'dota' else ('fair1m', ))
        assert cfg.train_dataloader.dataset.type == dtype


@pytest.mark.parametrize('name', list(CONFIGS))
def test_config_trains_and_predicts(name, shared_data, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    dtype, ncls, box_dim, in_ch = EXPECT[name]
    shrink_model(cfg.model)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    train, test = dataset_cfgs(name, cfg, shared_data, tmp_path)
    runner = Runner.from_cfg(runner_cfg(cfg, train, test, tmp_path / 'w'))
    runner.train()
    hub = runner.message_hub
    assert hub.get_info('iter') == 2 or runner.iter == 2
    loss = hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # predict on the real tile
    model = runner.model.eval()
    loader = runner.build_dataloader(dict(
        batch_size=1, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=test))
    data = next(iter(loader))
    assert data['inputs'][0].shape[0] == in_ch
    with torch.no_grad():
        (pred, ) = model.test_step(data)
    boxes = pred.pred_instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    assert boxes.ndim == 2 and boxes.shape[1] == box_dim
    assert len(boxes) > 0
    labels = pred.pred_instances.labels
    assert int(labels.min()) >= 0 and int(labels.max()) < ncls
    # predictions are in the annotation frame (800 DIOR, 1024 DOTA tile)
    frame = 800 if box_dim == 4 else 1024
    assert tuple(pred.ori_shape) == (frame, frame)
    centres = boxes[:, :2] if box_dim == 5 else \
        (boxes[:, :2] + boxes[:, 2:]) / 2
    assert (centres >= -1).all() and (centres <= frame + 1).all()
