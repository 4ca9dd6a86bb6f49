# RS-vHeat self-supervised pretraining, paper recipe (docs/pretraining.md).
# Method: frequency-domain hierarchical masking (25 % of the high-band DCT
#   coefficients zeroed, low band r < U(0.05, 0.15) kept, 4 rings x 8 sectors)
#   + multi-domain reconstruction: L = L_Con + L_Spa + L_Fre (weights 1/1/1).
# Model: RSvHeat-B with an optical (3-band) and a SAR (1-band) stem sharing
#   one encoder; decoder fuses stages 3+4 and pixel-shuffles x16.
# Data: unlabelled optical folder + SAR folder + optical-SAR pair list,
#   RandomResizedCrop to 224 x 224 (paper: 448 crops, 224 input), flips/rot90.
# Optimizer: AdamW lr 2e-4, betas (0.9, 0.95), weight decay 0.05 (none on
#   FVE / SCE / layer scale / norms / biases).
# Schedule: 200 epochs, 10 warm-up epochs (linear) then cosine to 1e-6.
# Batch: 256 = 8 GPUs x 32 (our choice: the paper does not state it);
#   auto_scale_lr rescales lr linearly for other total batches.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)

data_root = 'data/rs_pretrain/'
channels = dict(opt=3, sar=1)
train_pipeline = [
    dict(type='LoadMultiModalImages', channels=channels),
    dict(type='MultiModalRandomResizedCrop', scale=224,
         crop_scale=(0.5, 1.0)),
    dict(type='MultiModalRandomFlip', prob=0.5, rot90=True),
    dict(type='PackMultiModalInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # samples of one batch may hold different modalities
    collate_fn=dict(type='multimodal_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type='UnlabelledImageFolder', data_root=data_root,
                 data_prefix=dict(img_path='optical'), modality='opt',
                 pipeline=train_pipeline),
            dict(type='UnlabelledImageFolder', data_root=data_root,
                 data_prefix=dict(img_path='sar'), modality='sar',
                 pipeline=train_pipeline),
            dict(type='OptSarPairDataset', data_root=data_root,
                 ann_file='pairs.txt',
                 data_prefix=dict(opt='pairs/optical', sar='pairs/sar'),
                 pipeline=train_pipeline),
        ]))

model = dict(
    type='RSvHeatPretrainer',
    data_preprocessor=dict(
        type='RSMultiModalDataPreprocessor',
        channels=channels,
        mean=dict(opt=[123.675, 116.28, 103.53], sar='per_image'),
        std=dict(opt=[58.395, 57.12, 57.375]),
        transform=dict(sar='log1p')),
    backbone=dict(
        type='RSvHeat',
        arch='base',
        in_channels=channels,
        img_size=224,
        out_indices=(0, 1, 2, 3),  # every output norm is pretrained
        drop_path_rate=0.1),
    neck=dict(
        type='RSvHeatReconDecoder',
        in_channels=(512, 1024),
        in_index=(2, 3),
        channels=256,
        num_convs=2,
        out_channels=channels,
        upsample=16),
    masking=dict(
        type='FrequencyHierarchicalMasking',
        ratio=0.25,
        low_radius=(0.05, 0.15),
        num_rings=4,
        num_sectors=8),
    spatial_head=dict(
        type='SpatialReconstructionHead',
        loss=dict(type='PixelL1Loss', loss_weight=1.0)),
    frequency_head=dict(
        type='FrequencyReconstructionHead',
        loss=dict(type='FrequencyL1Loss', loss_weight=1.0,
                  normalize='relative')),
    contrastive_head=dict(
        type='CrossModalContrastiveHead',
        in_channels=1024,
        hidden_channels=1024,
        out_channels=256,
        loss=dict(type='CrossModalContrastiveLoss', mode='infonce',
                  temperature=0.1, loss_weight=1.0)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.0),
            'backbone.sce': dict(decay_mult=0.0),
            '.gamma1': dict(decay_mult=0.0),
            '.gamma2': dict(decay_mult=0.0),
        }))
max_epochs = 200
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 10, eta_min=1e-6,
         by_epoch=True, begin=10, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# weights_<epoch|iter>_<n>.pth: tensors-only copies of the checkpoints, for
# init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')
custom_hooks = [dict(type='PlainWeightsHook')]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(window_size=10)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)
