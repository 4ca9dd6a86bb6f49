# Change detection on LEVIR-CD with a siamese RS-vHeat-B: one shared backbone
# encodes both dates, PyramidFusionNeck takes |A - B| at every level (the
# "siamese encoder + difference neck + UperNet" reading of RS-vHeat; the
# paper does not name its CD head), UPerHead + auxiliary FCNHead predict 2
# classes (unchanged / changed).
# Data: data/levir_cd/{train,val,test}/{A,B,label}/*.png (official 1024x1024
# split); labels 0/255 -> 0/1. Training draws 256x256 crops from the 1024
# images (same window, flips and 90-degree turns on A, B and label; time
# exchange; independent photometric jitter per date); validation/test slide a
# 256 window with stride 256 over whole 1024 images.
# Optimizer AdamW lr 1e-4 wd 0.05 (none on norms, biases, FVE, SCE),
# 1.5k-iter warm-up + poly, 40k iterations, batch 16 (4 GPUs x 4).
# Metrics: precision, recall, F1, IoU of the change class (+ OA, kappa).
# Paper (RS-vHeat): F1 93.48.
_base_ = [
    '../upernet/_base_/upernet_rsvheat.py',
    '../upernet/_base_/default_runtime.py',
    '../upernet/_base_/schedule_80k_adamw.py'
]
crop_size = (256, 256)
dataset_type = 'LEVIRCDPairDataset'
data_root = 'data/levir_cd'
model = dict(
    type='SiameseEncoderDecoder',
    data_preprocessor=dict(
        size=crop_size,
        mean=[123.675, 116.28, 103.53] * 2,
        std=[58.395, 57.12, 57.375] * 2,
        bgr_to_rgb=False),
    backbone=dict(in_channels=3, drop_path_rate=0.2),
    fusion_neck=dict(type='PyramidFusionNeck', policy='abs_diff'),
    decode_head=dict(
        in_channels=[128, 256, 512, 1024], channels=256, num_classes=2),
    auxiliary_head=dict(in_channels=512, num_classes=2),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(256, 256)))
train_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', 'img_path2')),
    dict(type='LoadMappedAnnotations'),
    dict(type='MultiImgRandomCrop', crop_size=crop_size),
    dict(type='MultiImgRandomFlip', prob=0.5,
         direction=['horizontal', 'vertical']),
    dict(type='MultiImgRandomRotate90', prob=0.5),
    dict(type='MultiImgExchangeTime', prob=0.5),
    dict(type='MultiImgPhotoMetricDistortion'),
    dict(type='PackMultiImgSegInputs')
]
test_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', 'img_path2')),
    dict(type='LoadMappedAnnotations'),
    dict(type='PackMultiImgSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/A', img_path2='train/B',
                         seg_map_path='train/label'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/A', img_path2='val/B',
                         seg_map_path='val/label'),
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='test/A', img_path2='test/B',
                         seg_map_path='test/label'),
        pipeline=test_pipeline))
val_evaluator = dict(type='ChangeDetectionMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=40000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000,
                 val_interval=4000)
default_hooks = dict(
    checkpoint=dict(interval=4000, save_best='F1', rule='greater'))
