# UperNet + a small RSvHeat on the embedded synthetic remote-sensing tiles.
#
# The main job of `make demo`: trains end to end on 2 CPU cores in minutes,
# with no download (the tiles are generated into data/synthetic_rs on first
# use), evaluates mIoU / mFscore, and `tools/visualize_predictions.py` draws
# the predictions.
# Model: RSvHeat custom arch (embed_dims 32, depths 1-1-2-1, SCE on) +
#   UPerHead (64 ch, BN, no auxiliary head).
# Optimizer: AdamW lr 2e-3, wd 0.05 (no decay on FVE/SCE/norms/biases/gamma),
# schedule: 600 iterations, linear warm-up 60 iters then poly decay,
# batch 4 x 128 px tiles on 1 process. Validation every 300 iterations.
# Runtime (scope, imports, visualizer, logging) from the mmseg configs' base;
# logged every 20 iterations, checkpoints every 300.
_base_ = [
    '../_base_/datasets/synthetic_rs.py', '../_base_/schedules/adamw_80k.py',
    '../_base_/default_runtime_mmseg.py'
]
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255,
    size=_base_.crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='RSvHeat', arch=dict(embed_dims=32, depths=[1, 1, 2, 1]),
        img_size=128, out_indices=(0, 1, 2, 3), drop_path_rate=0.0),
    decode_head=dict(
        type='UPerHead', in_channels=[32, 64, 128, 256],
        in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6), channels=64,
        dropout_ratio=0.0, num_classes=_base_.num_classes,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# the segmentation AdamW schedule, faster and shorter
optim_wrapper = dict(
    optimizer=dict(lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'.gamma': dict(decay_mult=0.0)}))
max_iters = 600
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=60),
    dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=60, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=300)

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=300, max_keep_ckpts=2, save_last=True))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
