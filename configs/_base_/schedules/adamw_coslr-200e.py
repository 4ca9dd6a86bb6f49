# RS-vHeat pretraining (paper: 200 epochs, lr 2e-4, cosine; the rest is our
# choice, docs/pretraining.md): the AdamW of ./adamw.py at lr 2e-4, betas
# (0.9, 0.95) (wd 0.05, no decay on norms / biases / FVE / SCE, nor on the
# layer scales gamma1 / gamma2); 10 warm-up epochs (linear) then cosine to
# 1e-6, stepped per iteration; no validation; auto_scale_lr for a total batch
# other than 256.
_base_ = './adamw.py'
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, betas=(0.9, 0.95)),
    paramwise_cfg=dict(custom_keys={
        '.gamma1': dict(decay_mult=0.0), '.gamma2': dict(decay_mult=0.0)}))
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
