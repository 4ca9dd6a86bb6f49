# RS-DFM collaborative multi-UAV BEV perception on generated scenes.
# Model: tiny RSvHeat encoder (embed_dims 16, depths [1, 1], shared by all
#   UAVs) -> ground-prior relative-depth lift (9 height bins 0-16 m) to a
#   32 x 32 BEV grid of 2 m -> frequency-decoupled codec (budget 1/4 of the
#   raw float32 map: 16 ch x 32 x 32 x 4 B = 65536 B -> 16384 B per UAV per
#   frame) -> confidence fusion -> BEV segmentation + centre detection heads.
# Optimizer: AdamW, lr 2e-3, weight decay 1e-4, grad clip 5.
# Schedule: 2000 iterations (linear warm-up 50 iters, cosine), val every 500.
# Batch: 4 frames (each up to 4 UAVs) on 1 device (CPU is fine).
# Data: python tools/rsdfm/generate_scenes.py data/rsdfm_synth \
#           --num-train 256 --num-val 64 --seed 0
default_scope = 'rsvheat_mm'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)

data_root = 'data/rsdfm_synth'
bev_grid = dict(x_range=(-32.0, 32.0), y_range=(-32.0, 32.0), resolution=2.0)
max_iters = 2000

model = dict(
    type='CollabBEVModel',
    mode='collab',
    backbone=dict(
        type='RSvHeat',
        arch=dict(embed_dims=16, depths=[1, 1]),
        out_indices=(0, 1),
        img_size=64),
    neck_channels=32,
    view_transformer=dict(
        out_channels=16,
        bev_grid=bev_grid,
        height_bins=(16.0, 9),
        depth_mode='relative',
        lift_upsample=2),
    codec=dict(budget=0.25, low_size=8, low_bits=8, high_bits=16),
    fusion=dict(hidden=16, mode='softmax'),
    seg_head=dict(num_classes=3, hidden=32, class_weight=(0.2, 1.0, 1.0)),
    det_head=dict(classes=(0, ), hidden=32),
    loss_height=0.5,
    agent_dropout=0.25,
    test_single=True)

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiUAVBEVDataset',
        data_root=data_root,
        split='train',
        max_agents=4))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiUAVBEVDataset',
        data_root=data_root,
        split='val',
        max_agents=4,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='BEVSegIoUMetric'),
    dict(type='BEVCenterAPMetric', thresholds=(1.0, 2.0, 4.0))
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min=1e-5)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
