# vHeat's UperNet recipe (ADE20K, batch 16): AdamW lr 6e-5, weight decay 0.01
# (the no-decay rule of ./adamw.py), 1.5k-iteration linear warm-up, poly decay
# (power 1) to 0 at 80k iterations; validation every 8k.
_base_ = './adamw.py'
optim_wrapper = dict(optimizer=dict(lr=6e-5, weight_decay=0.01))
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
