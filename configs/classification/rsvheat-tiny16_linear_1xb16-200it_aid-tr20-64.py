# Quick run of the AID TR20 config (minutes on a laptop CPU, see README.md):
# the same data, split lists and metric as
# rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py with a 16-channel
# RSvHeat (depths 1-1-1-1, random init: no pretraining checkpoint needed),
# 64 px crops, batch 16 on one process, 200 iterations (AdamW lr 1e-3, 20
# warm-up, cosine), validation at the end on the first 200 test images. It
# checks the data and the pipeline end to end; it is not a result.
_base_ = [
    './rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py',
    '../_base_/quick_run.py'
]
img_size = 64
model = dict(
    backbone=dict(_base_.quick_backbone, img_size=img_size, init_cfg=None),
    head=dict(in_channels=_base_.quick_channels[-1]))
train_pipeline = [
    dict(t, scale=img_size) if t['type'] == 'RandomResizedCrop' else t
    for t in _base_.train_pipeline
]
test_pipeline = [
    dict(t, scale=int(img_size * 256 / 224)) if t['type'] == 'ResizeEdge'
    else dict(t, crop_size=img_size) if t['type'] == 'CenterCrop' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(
    batch_size=16, num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, num_workers=2,
                      dataset=dict(indices=200, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    _base_.quick_warmup,
    dict(type='CosineAnnealingLR', T_max=_base_.quick_iters - 20,
         eta_min=1e-5, by_epoch=False, begin=20, end=_base_.quick_iters)
]
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=_base_.quick_iters,
                 val_interval=_base_.quick_iters)
log_processor = dict(by_epoch=False)
default_hooks = dict(_base_.quick_hooks,
                     checkpoint=dict(_base_.quick_hooks.checkpoint,
                                     save_best=None))
auto_scale_lr = None
