# Runtime of the mmpretrain configs: mmpretrain's own runtime (scope
# 'mmpretrain', hooks, UniversalVisualizer) + the plugin import, set for
# scene classification: log every 50 iterations, a checkpoint every 5 epochs
# (= the validation interval; the last 2 and the best top-1 kept), seed 0.
# The pretraining configs replace the hooks and the seed.
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='accuracy/top1',
                    rule='greater'))
randomness = dict(seed=0)
