# AID (30 aerial scene classes, rsvheat_mm AIDDataset, 600 x 600 images):
# 224 random resized crops (bicubic), horizontal + vertical flips; test:
# shorter side to 256 then a 224 centre crop; 32 images per GPU for training,
# 64 for testing. Protocol TR20 (split lists splits/{train,val}_tr20.txt);
# a leaf config for another protocol sets `split` and the two lists.
# Metric: top-1 accuracy (OA).
# Data: `python tools/dataset_converters/make_cls_splits.py aid data/AID`
#   writes data/AID/splits/{train,val}_tr{20,50}.txt.
dataset_type = 'AIDDataset'
data_root = 'data/AID/'
split = 'tr20'
num_classes = 30
img_size = 224
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=int(img_size * 256 / 224), edge='short',
         backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]


def _loader(part, batch_size, pipeline):
    return dict(
        batch_size=batch_size, num_workers=8, persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=part == 'train'),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type=dataset_type, data_root=data_root,
                     ann_file=f'splits/{part}_{split}.txt', data_prefix='',
                     pipeline=pipeline))


train_dataloader = _loader('train', 32, train_pipeline)
val_dataloader = _loader('val', 64, test_pipeline)
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
