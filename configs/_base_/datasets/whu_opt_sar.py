# WHU-OPT-SAR (optical + SAR, 7 classes, rsvheat_mm WHUOptSARDataset): each
# sample is [optical RGB, SAR] read without loss, concatenated to 4 channels
# by the packer. Optical bands (0, 1, 2) are taken as R, G, B (NIR dropped):
# the release does not state the TIFF's band order, change `bands` if yours
# differs (docs/datasets.md). Training: 512 tiles, flips, 90-degree turns,
# photometric jitter on the optical image only, 2 images per GPU; validation /
# test on the official test scenes (the release has no val split).
# Metrics: OA (= aAcc) and mIoU.
# Layout: data/whu_opt_sar_512/{train,test}/{optical,sar,lbl}/*.tif from
#   python tools/dataset_converters/whu_opt_sar.py data/WHU-OPT-SAR \
#       data/whu_opt_sar_512
_base_ = './seg_loaders.py'
dataset_type = 'WHUOptSARDataset'
data_root = 'data/whu_opt_sar_512'
crop_size = (512, 512)
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
test_pipeline = train_pipeline[:2] + [dict(type='PackMultiImgSegInputs')]


def _split(split, pipeline):
    return dict(type=dataset_type, data_root=data_root, pipeline=pipeline,
                data_prefix=dict(img_path=f'{split}/optical',
                                 sar_path=f'{split}/sar',
                                 seg_map_path=f'{split}/lbl'))


train_dataloader = dict(dataset=_split('train', train_pipeline))
val_dataloader = dict(num_workers=2, dataset=_split('test', test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
