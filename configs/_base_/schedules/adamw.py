# The AdamW recipe every RSvHeat schedule starts from (vHeat / Swin dense-task
# setting): lr 1e-4, betas (0.9, 0.999), weight decay 0.05, and NO weight decay
# on norms, biases and the backbone's frequency value embeddings (FVE) and
# spatial correction embeddings (SCE): they are learned maps, not weights to
# shrink (upstream vHeat decays them; docs/method.md). The schedules in this
# folder inherit this file and change only lr / weight decay / extra keys.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.),
            'backbone.sce': dict(decay_mult=0.)
        }))
