# AIR-PolSAR-Seg (Gaofen-3 quad-pol SAR, 6 classes, rsvheat_mm
# AIRPolSARSegDataset). The four polarisations (HH, HV, VH, VV) are read as
# uint16 / float without loss, log-compressed (SARLogScale) and stacked into
# one 4-channel image. Training: 0.5-2x random resize, 512 crops, flips, 90
# degree turns, 2 images per GPU (./seg_loaders.py); validation / test on
# test_set. Metric: mIoU.
# Layout: the release as shipped, data/AIR-PolSAR-Seg/{train_set,test_set}/
#   <id>_{HH,HV,VH,VV}.tiff + <id>_gt.png (RGB colours -> indices on load;
#   docs/datasets.md). No preparation command.
_base_ = './seg_loaders.py'
dataset_type = 'AIRPolSARSegDataset'
data_root = 'data/AIR-PolSAR-Seg'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', ),
         color_types='unchanged'),
    dict(type='LoadMappedAnnotations'),
    dict(type='SARLogScale', img_indices=(0, )),
    dict(type='MultiImgRandomResize', ratio_range=(0.5, 2.0)),
    dict(type='MultiImgRandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='MultiImgRandomFlip', prob=0.5,
         direction=['horizontal', 'vertical']),
    dict(type='MultiImgRandomRotate90', prob=0.5),
    dict(type='PackMultiImgSegInputs')
]
# loading as in training, no augmentation
test_pipeline = train_pipeline[:3] + [dict(type='PackMultiImgSegInputs')]


def _split(folder, pipeline):
    return dict(type=dataset_type, data_root=data_root, pipeline=pipeline,
                data_prefix=dict(img_path=folder, seg_map_path=folder))


train_dataloader = dict(dataset=_split('train_set', train_pipeline))
val_dataloader = dict(dataset=_split('test_set', test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
