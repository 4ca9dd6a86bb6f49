# Runtime of the configs that build in rsvheat_mm's own registries (RS-DFM: no
# host toolbox has BEV models): scope 'rsvheat_mm', by-iteration logging every
# 50 iterations, a checkpoint every 500 iterations (the last one kept), seed 0.
default_scope = 'rsvheat_mm'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
