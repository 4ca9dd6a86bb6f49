# Scene-classification fine-tuning (vHeat-B recipe): the AdamW of ./adamw.py
# at lr 5e-4 (wd 0.05, no decay on norms / biases / FVE / SCE, nor on the
# layer scales gamma1 / gamma2), grad clip 5; 100 epochs: 5 warm-up epochs
# (linear) then cosine to 1e-6, both stepped per iteration; validation every
# 5 epochs; auto_scale_lr for a total batch other than 256.
_base_ = './adamw.py'
optim_wrapper = dict(
    optimizer=dict(lr=5e-4),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(custom_keys={
        '.gamma1': dict(decay_mult=0.0), '.gamma2': dict(decay_mult=0.0)}))
max_epochs = 100
param_scheduler = [  # epochs, stepped per iteration
    dict(type='LinearLR', start_factor=1e-3, begin=0, end=5, by_epoch=True,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-6, begin=5,
         end=max_epochs, by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
