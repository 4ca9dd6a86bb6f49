# Tiny RS-vHeat pretraining that runs on CPU in about a minute, on the real
# optical tiles of ../shared/data (LEVIR-CD A/B, DIOR, DOTA): a smoke test of
# the whole recipe, not a useful model.
# Model: RSvHeat dict(embed_dims=16, depths=[1, 1, 1, 1]) (opt + sar stems),
#   decoder width 32, masking and losses as in the paper recipe; with only
#   optical data L_Con contrasts each image's high vs low view.
# Data: 64 x 64 random resized crops (area 5-30 %) of the tiles.
# Optimizer: AdamW lr 1e-3 (higher than the paper's 2e-4 so that a few
#   iterations move the loss), betas (0.9, 0.95), weight decay 0.05.
# Schedule: 40 iterations, 5 warm-up iterations then cosine to 1e-5.
# Batch: 4 (1 process x 4). Run:
#   mim train mmpretrain configs/rsvheat_pretrain/<this file> (repo root)
_base_ = ['./rsvheat-pretrain_rsvheat-b_8xb32-coslr-200e_opt-sar-224.py']

data_root = '../shared/data/'
train_pipeline = [
    dict(_base_.train_pipeline[0]),  # optical + SAR loading as the recipe
    dict(type='MultiModalRandomResizedCrop', scale=64,
         crop_scale=(0.05, 0.3)),
    *_base_.train_pipeline[2:]  # flips / 90-degree turns, packing
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type='UnlabelledImageFolder', data_root=data_root,
                 data_prefix=dict(img_path=folder), modality='opt',
                 pipeline=train_pipeline)
            for folder in ('levir_cd/A', 'levir_cd/B', 'dior/JPEGImages',
                           'dota/images')
        ]))
model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=16, depths=[1, 1, 1, 1]),
                  img_size=64, drop_path_rate=0.0),
    neck=dict(in_channels=(64, 128), channels=32, num_convs=1),
    contrastive_head=dict(in_channels=128, hidden_channels=64,
                          out_channels=32))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=35, eta_min=1e-5, by_epoch=False,
         begin=5, end=40),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=40)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(by_epoch=False, interval=40, max_keep_ckpts=1))
auto_scale_lr = dict(enable=False, base_batch_size=4)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
