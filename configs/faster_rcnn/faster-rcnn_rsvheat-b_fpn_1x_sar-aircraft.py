# Faster R-CNN + FPN, RS-vHeat-B with its 1-channel SAR stem,
# SAR-AIRcraft-1.0 (7 aircraft classes, horizontal boxes, Gaofen-3 SAR).
#
# Data:      ImageSets/Main/train.txt -> test.txt; 1-channel images loaded
#            as grayscale, resized to fit 800 x 800 (the release has 800 to
#            1500 px images), flips.
# Input:     1 channel, mean 127.5 / std 127.5 (the release gives no
#            statistics; replace by your train-set mean/std).
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE.
# Schedule:  1x = 12 epochs, warm-up 500 iters, lr x0.1 at epochs 8 and 11.
# Batch:     16 = 8 GPUs x 2 images.
# Metric:    VOC mAP50 (VOCMetric, all-point AP).
_base_ = ['./faster-rcnn_rsvheat-b_fpn_1x_dior.py']

num_classes = 7
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], bgr_to_rgb=False),
    backbone=dict(in_channels=1),
    roi_head=dict(bbox_head=dict(num_classes=num_classes)))

dataset_type = 'SARAircraftDataset'
data_root = 'data/SAR-AIRcraft-1.0/'
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale',
         backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale',
         backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]


def _split(list_file, pipeline, test_mode=False):
    return dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file=list_file,
        data_prefix=dict(img_path='JPEGImages', ann_path='Annotations'),
        filter_cfg=dict(filter_empty_gt=not test_mode, min_size=32),
        test_mode=test_mode,
        pipeline=pipeline,
        backend_args=backend_args)


train_dataloader = dict(
    dataset=_split('ImageSets/Main/train.txt', train_pipeline))
val_dataloader = dict(
    dataset=_split('ImageSets/Main/test.txt', test_pipeline, True))
test_dataloader = val_dataloader
