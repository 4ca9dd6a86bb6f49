# UperNet + RS-vHeat-B on WHU-OPT-SAR (optical + SAR, 7 classes, rsvheat_mm
# WHUOptSARDataset). The backbone's two-modality mode: stems
# in_channels=dict(opt=3, sar=1) in front of one shared encoder; the input is
# [opt RGB, SAR] concatenated (4 channels) and the backbone feeds channels 0-2
# to stems['opt'] and channel 3 to stems['sar'], summing the two modalities'
# features at every stage (modality_fusion='sum').
# Layout: data/whu_opt_sar/{optical,sar,lbl}/{train,val,test}/<scene>.tif;
#   optical bands read as (R, G, B) = bands (0, 1, 2) of the 4-band TIFF.
# Training crops 512x512 windows from the 5556x3704 scenes; test slides a
# 512 window with stride 384 over whole scenes.
# Optimizer AdamW lr 6e-5 wd 0.01, 1.5k warm-up + poly, 40k iterations,
# batch 16 (8 GPUs x 2). Metrics: OA (= aAcc) and mIoU. Paper: OA 83.9.
_base_ = [
    './_base_/upernet_rsvheat.py', './_base_/default_runtime.py',
    './_base_/schedule_80k_adamw.py'
]
crop_size = (512, 512)
dataset_type = 'WHUOptSARDataset'
data_root = 'data/whu_opt_sar'
model = dict(
    data_preprocessor=dict(
        size=crop_size,
        mean=[123.675, 116.28, 103.53, 127.5],
        std=[58.395, 57.12, 57.375, 64.0],
        bgr_to_rgb=False),
    backbone=dict(
        in_channels=dict(opt=3, sar=1, _delete_=True), modality_fusion='sum'),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(384, 384)))
load_opt_sar = dict(
    type='LoadMultiImageFromFiles',
    path_keys=('img_path', 'sar_path'),
    color_types='unchanged',
    bands=((0, 1, 2), None))
train_pipeline = [
    load_opt_sar,
    dict(type='LoadMappedAnnotations'),
    dict(type='MultiImgRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='MultiImgRandomFlip', prob=0.5,
         direction=['horizontal', 'vertical']),
    dict(type='MultiImgRandomRotate90', prob=0.5),
    dict(type='MultiImgPhotoMetricDistortion', img_indices=(0, )),
    dict(type='PackMultiImgSegInputs')
]
test_pipeline = [
    load_opt_sar,
    dict(type='LoadMappedAnnotations'),
    dict(type='PackMultiImgSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='optical/train', sar_path='sar/train',
                         seg_map_path='lbl/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='optical/test', sar_path='sar/test',
                         seg_map_path='lbl/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=40000)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000,
                 val_interval=4000)
default_hooks = dict(checkpoint=dict(save_best='aAcc', rule='greater'))
