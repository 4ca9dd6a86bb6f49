# UperNet + RS-vHeat-B on AIR-PolSAR-Seg (Gaofen-3 quad-pol SAR, 6 classes,
# rsvheat_mm AIRPolSARSegDataset). The four polarisations (HH, HV, VH, VV) are
# read as uint16/float without loss, log-compressed (SARLogScale) and stacked
# into one 4-channel image for a 4-channel stem.
# Layout: data/air_polsar_seg/{train_set,test_set}/images/<name>_<POL>.tiff,
#   .../annotations/<name>.png (class indices 0..5).
# Optimizer AdamW lr 6e-5 wd 0.01, 1.5k warm-up + poly, 40k iterations,
# batch 16 (8 GPUs x 2), 512x512 patches; sliding-window test. Metric: mIoU.
# mean/std: log1p intensities are O(1..10); the 0/1 placeholders below should
# be replaced by the training-set statistics. Paper (RS-vHeat): mIoU 57.46.
_base_ = [
    './_base_/upernet_rsvheat.py', './_base_/default_runtime.py',
    './_base_/schedule_80k_adamw.py'
]
crop_size = (512, 512)
dataset_type = 'AIRPolSARSegDataset'
data_root = 'data/air_polsar_seg'
model = dict(
    data_preprocessor=dict(
        size=crop_size, mean=[0., 0., 0., 0.], std=[1., 1., 1., 1.],
        bgr_to_rgb=False),
    backbone=dict(in_channels=4),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
train_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', ),
         color_types='unchanged'),
    dict(type='LoadMappedAnnotations'),
    dict(type='SARLogScale', img_indices=(0, )),
    dict(type='MultiImgRandomResize', ratio_range=(0.5, 2.0)),
    dict(type='MultiImgRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='MultiImgRandomFlip', prob=0.5,
         direction=['horizontal', 'vertical']),
    dict(type='MultiImgRandomRotate90', prob=0.5),
    dict(type='PackMultiImgSegInputs')
]
test_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', ),
         color_types='unchanged'),
    dict(type='LoadMappedAnnotations'),
    dict(type='SARLogScale', img_indices=(0, )),
    dict(type='PackMultiImgSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train_set/images',
                         seg_map_path='train_set/annotations'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='test_set/images',
                         seg_map_path='test_set/annotations'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=40000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000,
                 val_interval=4000)
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
