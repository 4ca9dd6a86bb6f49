# Quick run of the DOTA config (minutes on a laptop CPU, see README.md): the
# same data (split 1024 tiles) and validation metric as
# oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py with a 16-channel RSvHeat
# (depths 1-1-1-1, random init), a 32-channel FPN and heads, tiles resized
# to 256, batch 2 on one process, 200 iterations (AdamW lr 1e-3, 20 warm-up,
# constant), validation at the end on the first 20 trainval tiles. It checks
# the data and the pipeline end to end; it is not a result.
_base_ = [
    './oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py', '../_base_/quick_run.py'
]
size = (256, 256)
model = dict(_base_.quick_two_stage,
             backbone=dict(_base_.quick_backbone, img_size=128))
train_pipeline = [
    dict(t, scale=size) if t['type'] == 'mmdet.Resize' else t
    for t in _base_.train_pipeline
]
val_pipeline = [
    dict(t, scale=size) if t['type'] == 'mmdet.Resize' else t
    for t in _base_.val_pipeline
]
test_pipeline = [
    dict(t, scale=size) if t['type'] == 'mmdet.Resize' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(batch_size=2, num_workers=2,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=2,
                      dataset=dict(indices=20, pipeline=val_pipeline))
test_dataloader = dict(num_workers=2, dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [_base_.quick_warmup]
train_cfg = _base_.quick_iter_loop
log_processor = dict(by_epoch=False)
default_hooks = _base_.quick_hooks
