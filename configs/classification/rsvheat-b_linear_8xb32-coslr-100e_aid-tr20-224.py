# Scene classification on AID (30 classes), TR20 protocol (20 % of every
# class for training, the rest for testing). Metric: top-1 accuracy (OA).
# Paper (RS-vHeat): OA 96.81 (TR20) / 97.58 (TR50).
# Model: RSvHeat-B encoder (init from RS-vHeat pretraining, prefix
#   'backbone.') -> global average pooling -> linear head (LinearClsHead).
#   Linear probing instead of fine-tuning: model.backbone.frozen_stages=4.
# Data: `python tools/dataset_converters/make_cls_splits.py aid data/AID`
#   writes data/AID/splits/{train,val}_tr{20,50}.txt.
# Optimizer: AdamW lr 5e-4 (vHeat-B fine-tuning), weight decay 0.05 (none on
#   FVE / SCE / layer scale / norms / biases), grad clip 5.
# Schedule: 100 epochs, 5 warm-up epochs (linear) then cosine to 1e-6.
# Batch: 256 = 8 GPUs x 32; auto_scale_lr rescales lr for other batches.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)

# the pretraining checkpoint (mmengine .pth of RSvHeatPretrainer) or an
# encoder state dict (then set prefix=None); None trains from scratch
pretrained = ('work_dirs/rsvheat-pretrain_rsvheat-b_8xb32-coslr-200e_'
              'opt-sar-224/epoch_200.pth')
dataset_type = 'AIDDataset'
data_root = 'data/AID/'
split = 'tr20'
num_classes = 30
img_size = 224

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='RSvHeat',
        arch='base',
        in_channels=3,
        img_size=img_size,
        out_indices=(3, ),
        drop_path_rate=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=1024,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        topk=(1, )),
    init_cfg=[dict(type='TruncNormal', layer='Linear', std=0.02)])

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=int(img_size * 256 / 224), edge='short',
         backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file=f'splits/train_{split}.txt', data_prefix='',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file=f'splits/val_{split}.txt', data_prefix='',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999),
                   weight_decay=0.05),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.0),
            'backbone.sce': dict(decay_mult=0.0),
            '.gamma1': dict(decay_mult=0.0),
            '.gamma2': dict(decay_mult=0.0),
        }))
max_epochs = 100
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-6,
         by_epoch=True, begin=5, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2,
                    save_best='accuracy/top1', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
