# mmdet's 1x schedule (12 epochs, 500-iteration linear warm-up, lr x0.1 at
# epochs 8 and 11, auto_scale_lr base batch 16) with the AdamW of ./adamw.py
# (lr 1e-4, wd 0.05, no decay on norms / biases / FVE / SCE) in place of SGD.
# The optimizer is spelled out again: mmdet's schedule must stay this file's
# parent (its loop and LR entries carry mmdet's scope) and mmengine does not
# merge two bases that both set `optim_wrapper`.
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., custom_keys={
        'backbone.fve': dict(decay_mult=0.),
        'backbone.sce': dict(decay_mult=0.)}))
