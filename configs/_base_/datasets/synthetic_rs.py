# Procedural remote-sensing tiles (rsvheat_mm SyntheticRSSegDataset, 5
# classes: ground, buildings, roads, water, vegetation), generated into
# data/synthetic_rs on first use: 64 training and 16 validation tiles of
# 128 px, flips + photometric jitter, 4 tiles per batch, no worker processes
# (2-core CPU). Metrics: mIoU, mFscore.
crop_size = (128, 128)
data_root = 'data/synthetic_rs'
num_classes = 5
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def _split(split, num_images, pipeline):
    return dict(type='SyntheticRSSegDataset', split=split,
                num_images=num_images, img_size=128, data_root=data_root,
                pipeline=pipeline)


train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_split('train', 64, train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('val', 16, test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
