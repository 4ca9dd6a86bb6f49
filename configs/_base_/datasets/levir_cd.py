# LEVIR-CD (building change, rsvheat_mm LEVIRCDPairDataset): the two dates A
# and B of the official 1024 x 1024 split, labels 0 / 255 -> 0 / 1. Training
# draws 256 crops (same window, flips and 90-degree turns on A, B and label;
# time exchange; photometric jitter drawn per date), 4 images per GPU;
# validation / test read whole images (the model slides 256 windows).
# Metrics: precision, recall, F1, IoU of the change class (+ OA, kappa).
# Layout: data/levir_cd/{train,val,test}/{A,B,label}/*.png.
_base_ = './seg_loaders.py'
dataset_type = 'LEVIRCDPairDataset'
data_root = 'data/levir_cd'
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadMultiImageFromFiles', path_keys=('img_path', 'img_path2')),
    dict(type='LoadMappedAnnotations'),
    dict(type='MultiImgRandomCrop', crop_size=crop_size),
    dict(type='MultiImgRandomFlip', prob=0.5,
         direction=['horizontal', 'vertical']),
    dict(type='MultiImgRandomRotate90', prob=0.5),
    dict(type='MultiImgExchangeTime', prob=0.5),
    dict(type='MultiImgPhotoMetricDistortion'),
    dict(type='PackMultiImgSegInputs')
]
test_pipeline = train_pipeline[:2] + [dict(type='PackMultiImgSegInputs')]


def _split(split, pipeline):
    return dict(type=dataset_type, data_root=data_root, pipeline=pipeline,
                data_prefix=dict(img_path=f'{split}/A', img_path2=f'{split}/B',
                                 seg_map_path=f'{split}/label'))


train_dataloader = dict(batch_size=4,
                        dataset=_split('train', train_pipeline))
val_dataloader = dict(dataset=_split('val', test_pipeline))
test_dataloader = dict(dataset=_split('test', test_pipeline))
val_evaluator = dict(type='ChangeDetectionMetric')
test_evaluator = val_evaluator
