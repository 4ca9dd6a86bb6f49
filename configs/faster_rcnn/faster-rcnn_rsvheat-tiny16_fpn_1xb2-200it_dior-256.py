# Quick run of the DIOR config (minutes on a laptop CPU, see README.md): the
# same data and metric as faster-rcnn_rsvheat-b_fpn_1x_dior.py with a
# 16-channel RSvHeat (depths 1-1-1-1, random init), a 32-channel FPN and
# heads, images resized to 256, DIOR's train list only (not train + val),
# batch 2 on one process, 200 iterations (AdamW lr 1e-3, 20 warm-up,
# constant), validation at the end on the first 20 test images. It checks
# the data and the pipeline end to end; it is not a result.
_base_ = [
    './faster-rcnn_rsvheat-b_fpn_1x_dior.py', '../_base_/quick_run.py'
]
size = (256, 256)
model = dict(_base_.quick_two_stage,
             backbone=dict(_base_.quick_backbone, img_size=128))
train_pipeline = [
    dict(t, scale=size) if t['type'] == 'Resize' else t
    for t in _base_.train_pipeline
]
test_pipeline = [
    dict(t, scale=size) if t['type'] == 'Resize' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(
    batch_size=2, num_workers=2,
    dataset=dict(
        _delete_=True, type=_base_.dataset_type, data_root=_base_.data_root,
        ann_file='ImageSets/Main/train.txt',
        data_prefix=dict(img_path='JPEGImages-trainval',
                         ann_path=_base_.ann_prefix),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(num_workers=2,
                      dataset=dict(indices=20, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [_base_.quick_warmup]
train_cfg = _base_.quick_iter_loop
log_processor = dict(by_epoch=False)
default_hooks = _base_.quick_hooks
