# UperNet + RS-vHeat-B on iSAID semantic segmentation (16 classes incl.
# background, mmseg iSAIDDataset).
# Data: `python tools/dataset_converters/isaid.py data/ --patch_width 896
#   --patch_height 896 --overlap_area 384` (mmseg) -> data/iSAID/{img_dir,
#   ann_dir}/{train,val}, labels `*_instance_color_RGB.png` as class indices.
# Optimizer AdamW lr 6e-5 wd 0.01, 1.5k warm-up + poly, 80k iterations,
# batch 16 (8 GPUs x 2), 896x896 patches; sliding-window test (896, stride
# 512). Metric: mIoU. Paper (RS-vHeat): mIoU 68.72.
_base_ = [
    './_base_/upernet_rsvheat.py', './_base_/default_runtime.py',
    './_base_/schedule_80k_adamw.py'
]
crop_size = (896, 896)
dataset_type = 'iSAIDDataset'
data_root = 'data/iSAID'
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=16),
    auxiliary_head=dict(num_classes=16),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(512, 512)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(896, 896), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
