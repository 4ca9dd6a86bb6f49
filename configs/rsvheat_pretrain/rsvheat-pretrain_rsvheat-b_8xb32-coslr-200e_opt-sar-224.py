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
_base_ = [
    '../_base_/models/rsvheat-pretrain_rsvheat-b.py',
    '../_base_/datasets/opt-sar_pretrain.py',
    '../_base_/schedules/adamw_coslr-200e.py',
    '../_base_/default_runtime_mmpretrain.py'
]
# mmpretrain's hooks without the (classification) visualization hook; a
# checkpoint every 10 epochs, the last 3 kept
default_hooks = dict(
    _delete_=True,
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# weights_<epoch|iter>_<n>.pth: tensors-only copies of the checkpoints, for
# init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')
custom_hooks = [dict(type='PlainWeightsHook')]
log_processor = dict(window_size=10)
randomness = dict(_delete_=True, seed=0, diff_rank_seed=True)
