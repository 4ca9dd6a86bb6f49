# DIOR (20 classes, horizontal boxes, rsvheat_mm DIORHBBDataset): train + val
# (11,725 images) for training, test (11,738) for testing; 800 x 800 optical
# images kept at 800, horizontal + vertical flips, 2 images per GPU grouped by
# aspect ratio. Difficult objects ignored. Metric: VOC mAP50, all-point AP
# (eval_mode='area'; '11points' for VOC07-style numbers).
# Layout: data/DIOR/{JPEGImages-trainval,JPEGImages-test,
#   Annotations/Horizontal Bounding Boxes,ImageSets/Main/{train,val,test}.txt}.
num_classes = 20
dataset_type = 'DIORHBBDataset'
data_root = 'data/DIOR/'
backend_args = None
ann_prefix = 'Annotations/Horizontal Bounding Boxes'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]


def _split(list_file, img_dir, pipeline, test_mode=False):
    return dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=list_file,
        data_prefix=dict(img_path=img_dir, ann_path=ann_prefix),
        filter_cfg=dict(filter_empty_gt=not test_mode, min_size=32),
        test_mode=test_mode,
        pipeline=pipeline,
        backend_args=backend_args)


train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type='ConcatDataset', datasets=[
        _split(f'ImageSets/Main/{part}.txt', 'JPEGImages-trainval',
               train_pipeline) for part in ('train', 'val')]))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('ImageSets/Main/test.txt', 'JPEGImages-test',
                   test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='VOCMetric', metric='mAP', iou_thrs=[0.5], eval_mode='area')
test_evaluator = val_evaluator
