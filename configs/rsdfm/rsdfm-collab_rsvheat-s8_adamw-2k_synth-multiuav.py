# RS-DFM collaborative multi-UAV BEV perception on generated scenes.
# Model: tiny RSvHeat encoder (embed_dims 16, depths [1, 1], shared by all
#   UAVs) -> ground-prior relative-depth lift (9 height bins 0-16 m) to a
#   32 x 32 BEV grid of 2 m -> frequency-decoupled codec (budget 1/4 of the
#   raw float32 map: 16 ch x 32 x 32 x 4 B = 65536 B -> 16384 B per UAV per
#   frame) -> confidence fusion -> BEV segmentation + centre detection heads.
# Optimizer: AdamW, lr 2e-3, weight decay 1e-4 on every parameter (RS-DFM's
#   own recipe, not the FVE/SCE no-decay rule of ../_base_/schedules/adamw.py),
#   grad clip 5.
# Schedule: 2000 iterations (linear warm-up 50 iters, cosine), val every 500.
# Batch: 4 frames (each up to 4 UAVs) on 1 device (CPU is fine).
# Data: python tools/rsdfm/generate_scenes.py data/rsdfm_synth \
#           --num-train 256 --num-val 64 --seed 0
_base_ = [
    '../_base_/models/rsdfm-collab_rsvheat-s8.py',
    '../_base_/datasets/synth_multiuav.py',
    '../_base_/default_runtime_rsvheat_mm.py'
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=5.0))
max_iters = 2000
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
