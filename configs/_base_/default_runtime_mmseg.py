# Runtime of the mmseg configs (segmentation, change detection, demo): mmseg's
# own runtime (scope 'mmseg', env, SegLocalVisualizer, by-iteration log
# processor, SegTTAModel) + the plugin import + by-iteration hooks (mmseg
# keeps them in its schedules): log every 50 iterations, a checkpoint every
# 8k iterations, the last 3 kept.
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=8000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
