# Generated multi-UAV scenes (rsvheat_mm MultiUAVBEVDataset, docs/rsdfm.md):
# each frame holds up to 4 UAVs' oblique views of one scene; 4 frames per
# batch (pseudo_collate). Metrics: BEV segmentation IoU (+ the per-scene best
# single platform) and BEV centre AP at 1 / 2 / 4 m.
# Data: python tools/rsdfm/generate_scenes.py data/rsdfm_synth \
#           --num-train 256 --num-val 64 --seed 0
data_root = 'data/rsdfm_synth'
train_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiUAVBEVDataset', data_root=data_root,
                 split='train', max_agents=4))
val_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiUAVBEVDataset', data_root=data_root,
                 split='val', max_agents=4, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='BEVSegIoUMetric'),
    dict(type='BEVCenterAPMetric', thresholds=(1.0, 2.0, 4.0))
]
test_evaluator = val_evaluator
