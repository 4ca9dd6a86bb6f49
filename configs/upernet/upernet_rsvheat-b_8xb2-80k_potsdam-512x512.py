# UperNet + RS-vHeat-B on ISPRS Potsdam (6 classes, mmseg PotsdamDataset).
# Data: `python tools/dataset_converters/potsdam.py data/ --clip_size 512
#   --stride_size 256` (mmseg) -> data/potsdam/{img_dir,ann_dir}/{train,val}.
# Optimizer AdamW lr 6e-5 wd 0.01, 1.5k warm-up + poly, 80k iterations,
# batch 16 (8 GPUs x 2), 512x512 crops; sliding-window test (512, stride 341).
# Metrics: mIoU and mF1 (mFscore) over the 6 classes incl. clutter; the
# per-class table in the log gives the 5-class mean (clutter excluded) that
# several papers quote. Paper (RS-vHeat): mF1 92.82.
_base_ = [
    './_base_/upernet_rsvheat.py', './_base_/default_runtime.py',
    './_base_/schedule_80k_adamw.py'
]
crop_size = (512, 512)
dataset_type = 'PotsdamDataset'
data_root = 'data/potsdam'
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
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
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='mFscore', rule='greater'))
