# SAR-AIRcraft-1.0 (Gaofen-3 SAR, 7 aircraft classes, horizontal boxes,
# rsvheat_mm SARAircraftDataset): VOC-style like DIOR, so ./dior.py with its
# loaders, flips and VOC mAP50, but 1-channel images loaded as grayscale and
# resized to fit 800 x 800 (the release has 800 to 1500 px images), train.txt
# for training and test.txt for testing.
# Layout: data/SAR-AIRcraft-1.0/{JPEGImages,Annotations,
#   ImageSets/Main/{train,test}.txt}.
_base_ = './dior.py'
num_classes = 7
dataset_type = 'SARAircraftDataset'
data_root = 'data/SAR-AIRcraft-1.0/'
# DIOR's pipelines, loading grayscale
train_pipeline = [dict(_base_.train_pipeline[0], color_type='grayscale'),
                  *_base_.train_pipeline[1:]]
test_pipeline = [dict(_base_.test_pipeline[0], color_type='grayscale'),
                 *_base_.test_pipeline[1:]]


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
        backend_args=_base_.backend_args)


train_dataloader = dict(
    dataset=_split('ImageSets/Main/train.txt', train_pipeline))
val_dataloader = dict(
    dataset=_split('ImageSets/Main/test.txt', test_pipeline, True))
test_dataloader = val_dataloader
