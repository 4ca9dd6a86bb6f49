# Quick run of the Potsdam config (minutes on a laptop CPU, see README.md):
# the same data, pipeline and metrics as
# upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py with a 16-channel RSvHeat
# (depths 1-1-1-1, random init), UperNet at 32 channels, 128 crops, batch 4
# on one process, 200 iterations (AdamW lr 1e-3, 20 warm-up + poly),
# validation at the end on the first 20 validation tiles (sliding 128
# windows). It checks the data and the pipeline end to end; it is not a
# result. Real runs: the -b_ config of this folder.
_base_ = [
    './upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py',
    '../_base_/quick_run.py'
]
crop_size = (128, 128)
model = dict(
    _base_.quick_upernet,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(_base_.quick_backbone, img_size=128),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(128, 128)))
train_pipeline = [
    dict(t, scale=(256, 256)) if t['type'] == 'RandomResize' else
    dict(t, crop_size=crop_size) if t['type'] == 'RandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(batch_size=4, num_workers=2,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(indices=20))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [_base_.quick_warmup, _base_.quick_poly]
train_cfg = _base_.quick_train_cfg
default_hooks = _base_.quick_hooks
