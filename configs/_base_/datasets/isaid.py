# iSAID semantic segmentation (16 classes incl. background, mmseg
# iSAIDDataset): mmseg's own base (896 patches, 0.5-2x random resize, crop,
# flip, photometric jitter; labels *_instance_color_RGB.png) with 2 images per
# GPU and no test-time resize (sliding windows). Metric: mIoU.
# Data: mmseg's converter, shipped in the mmseg package under
#   mmseg/.mim/tools/dataset_converters/ (command: docs/datasets.md) ->
#   data/iSAID/{img_dir,ann_dir}/{train,val}.
_base_ = 'mmseg::_base_/datasets/isaid.py'
# mmseg's test pipeline without its Resize: the tiles are predicted whole
# (sliding windows), at their own resolution
test_pipeline = [t for t in _base_.test_pipeline if t.type != 'Resize']
# mmseg's class plus an error naming the layout and the converter command
# when the data is missing (rsvheat_mm/datasets/data_layouts.py)
dataset_type = 'rsvheat_mm.CheckedISAIDDataset'
train_dataloader = dict(batch_size=2, dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
