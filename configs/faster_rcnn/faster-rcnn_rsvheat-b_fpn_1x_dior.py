# Faster R-CNN + FPN, RS-vHeat-B backbone, DIOR (20 classes, horizontal boxes).
#
# Data:      DIOR train+val (11,725 images) for training, test (11,738) for
#            testing; 800 x 800 optical images, no rescaling; flips.
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE (vHeat/Swin detection recipe).
# Schedule:  1x = 12 epochs, linear warm-up 500 iters, lr x0.1 at epochs 8
#            and 11 (mmdet schedule_1x).
# Batch:     16 = 8 GPUs x 2 images (auto_scale_lr base 16).
# Metric:    VOC mAP50 (VOCMetric, eval_mode='area' = all-point AP; use
#            '11points' for VOC07-style numbers). Difficult objects ignored.
# Backbone:  drop_path 0.5 (vHeat-B detection); set init_cfg to pretrained
#            RS-vHeat / vHeat weights (see docs/detection.md).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_scope = 'mmdet'

num_classes = 20
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='RSvHeat',
        arch='base',
        in_channels=3,
        img_size=224,
        drop_path_rate=0.5,
        out_indices=(0, 1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512, 1024]),
    roi_head=dict(bbox_head=dict(num_classes=num_classes)))

dataset_type = 'DIORHBBDataset'
data_root = 'data/DIOR/'
backend_args = None
ann_prefix = 'Annotations/Horizontal Bounding Boxes'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]


def _split(list_file, img_dir, pipeline, test_mode=False):
    return dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=list_file,
        data_prefix=dict(img_path=img_dir, ann_path=ann_prefix),
        filter_cfg=dict(filter_empty_gt=not test_mode, min_size=32),
        test_mode=test_mode,
        pipeline=pipeline,
        backend_args=backend_args)


train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            _split('ImageSets/Main/train.txt', 'JPEGImages-trainval',
                   train_pipeline),
            _split('ImageSets/Main/val.txt', 'JPEGImages-trainval',
                   train_pipeline),
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('ImageSets/Main/test.txt', 'JPEGImages-test',
                   test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='VOCMetric', metric='mAP', iou_thrs=[0.5], eval_mode='area')
test_evaluator = val_evaluator

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.),
            'backbone.sce': dict(decay_mult=0.),
        }))
auto_scale_lr = dict(enable=False, base_batch_size=16)
