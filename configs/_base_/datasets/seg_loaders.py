# The dataloader layout of mmseg's dataset bases, for the plugin's own
# segmentation / change-detection datasets (air_polsar_seg, whu_opt_sar,
# levir_cd): training draws 2 images per GPU from an InfiniteSampler,
# validation / test read one whole image at a time (the model slides its
# windows). Each dataset base adds its `dataset` and what else differs.
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
