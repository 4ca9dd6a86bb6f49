# Oriented R-CNN (le90) + FPN, RS-vHeat-B backbone, DOTA-v1.0 (15 classes).
#
# Data:      DOTA-v1.0 trainval split single-scale into 1024 x 1024 tiles with
#            gap 200 (tools/dataset_converters/split_large_images.py or
#            mmrotate's img_split.py ss_trainval / ss_test) under
#            data/split_ss_dota/; flips (h, v, diagonal), no rotation aug.
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE (mmrotate's Swin recipe).
# Schedule:  1x = 12 epochs, linear warm-up 500 iters, lr x0.1 at epochs 8
#            and 11 (mmrotate schedule_1x).
# Batch:     2 images on 1 GPU (mmrotate's DOTA setting); scale lr linearly.
# Metric:    val: DOTAMetric mAP (VOC07 11-point at IoU 0.5) on the
#            trainval tiles (mmrotate's base setting; DOTA has no public
#            val labels split off).
#            test: the tiles of the test images are merged to full images
#            (rotated NMS, IoU 0.1) and written as DOTA Task1 files + zip
#            for the evaluation server (DetSubmissionMetric).
_base_ = ['mmrotate::oriented_rcnn/oriented-rcnn-le90_r50_fpn_1x_dota.py']
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
default_scope = 'mmrotate'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RSvHeat',
        arch='base',
        in_channels=3,
        img_size=224,
        drop_path_rate=0.5,
        out_indices=(0, 1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512, 1024]))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'backbone.fve': dict(decay_mult=0.),
            'backbone.sce': dict(decay_mult=0.),
        }),
    clip_grad=dict(max_norm=35, norm_type=2))

# Test server: unlabelled test tiles -> DOTA Task1 files on full images.
test_dataloader = dict(
    dataset=dict(
        ann_file='',
        data_prefix=dict(img_path='test/images/'),
        test_mode=True))
test_evaluator = dict(
    _delete_=True,
    type='rsvheat_mm.DetSubmissionMetric',
    out_dir='./work_dirs/dota_submission',
    formats=('dota', ),
    iou_thr=0.1)
