# Oriented R-CNN (le90) + FPN, RS-vHeat-B backbone, DOTA-v1.0 (15 classes).
#
# Data:      DOTA-v1.0 train + val split single-scale into 1024 x 1024 tiles
#            with gap 200 under data/split_ss_dota/{trainval,test}
#            (tools/dataset_converters/split_large_images.py; the commands:
#            docs/datasets.md); flips (h, v, diagonal), no rotation aug.
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE (mmrotate's Swin recipe); grad
#            clip 35 as mmrotate's schedule.
# Schedule:  1x = 12 epochs, linear warm-up 500 iters, lr x0.1 at epochs 8
#            and 11 (mmrotate schedule_1x).
# Batch:     2 images on 1 GPU (mmrotate's DOTA setting); scale lr linearly.
# Metric:    val: DOTAMetric mAP (VOC07 11-point at IoU 0.5) on the
#            trainval tiles (mmrotate's base setting; DOTA has no public
#            val labels split off).
#            test: the tiles of the test images are merged to full images
#            (rotated NMS, IoU 0.1) and written as DOTA Task1 files + zip
#            for the evaluation server (DetSubmissionMetric).
_base_ = ['../_base_/models/oriented-rcnn-le90_rsvheat-b_fpn.py']

# ../_base_/schedules/adamw.py's AdamW and no-decay rule, restated: the base
# above already sets mmrotate's optim_wrapper (SGD), so the AdamW base cannot
# be listed next to it
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., custom_keys={
        'backbone.fve': dict(decay_mult=0.),
        'backbone.sce': dict(decay_mult=0.)}),
    clip_grad=dict(max_norm=35, norm_type=2))

# The plugin's checked DOTA-txt parser (errors name file:line; a missing
# folder names the layout and the split command), mmrotate's data infos.
dataset_type = 'CheckedDOTADataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
# Test server: unlabelled test tiles -> DOTA Task1 files on full images.
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        ann_file='',
        data_prefix=dict(img_path='test/images/'),
        test_mode=True))
test_evaluator = dict(
    _delete_=True,
    type='rsvheat_mm.DetSubmissionMetric',
    out_dir='dota_submission',  # relative: under the run's work dir
    formats=('dota', ),
    iou_thr=0.1)
