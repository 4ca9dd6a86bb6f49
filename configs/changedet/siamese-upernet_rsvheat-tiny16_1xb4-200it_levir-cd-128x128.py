# Quick run of the LEVIR-CD config (minutes on a laptop CPU, see README.md):
# the same data, pipeline and metrics as
# siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py with a 16-channel
# siamese RSvHeat (depths 1-1-1-1, random init), UperNet at 32 channels,
# 128 crops, batch 4 on one process, 200 iterations (AdamW lr 1e-3, 20
# warm-up + poly), validation at the end on the first 8 validation pairs
# (sliding 128 windows over the 1024 images). It checks the data and the
# pipeline end to end; it is not a result.
_base_ = [
    './siamese-upernet_rsvheat-b_4xb4-40k_levir-cd-256x256.py',
    '../_base_/quick_run.py'
]
crop_size = (128, 128)
model = dict(
    _base_.quick_upernet,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(_base_.quick_backbone, img_size=128),
    test_cfg=dict(crop_size=crop_size, stride=(128, 128)))
train_pipeline = [
    dict(t, crop_size=crop_size) if t['type'] == 'MultiImgRandomCrop' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(batch_size=4, num_workers=2,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(indices=8))
test_dataloader = dict(num_workers=2, dataset=dict(indices=8))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [_base_.quick_warmup, _base_.quick_poly]
train_cfg = _base_.quick_train_cfg
default_hooks = _base_.quick_hooks
