# AdamW (lr 6e-5, betas 0.9/0.999, weight decay 0.01; none on norms, biases,
# FVE and SCE), 1.5k-iter linear warm-up, poly decay (power 1) to 0 at 80k
# iterations; validation every 8k. vHeat's UperNet recipe (ADE20K, batch 16).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999),
                   weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0., bias_decay_mult=0.,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.),
            'backbone.sce': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=80000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000,
                 val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
