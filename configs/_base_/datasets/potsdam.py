# ISPRS Potsdam (6 classes incl. clutter, mmseg PotsdamDataset): mmseg's own
# base (512 crops after a 0.5-2x random resize, flip, photometric jitter;
# labels 1..6, 0 ignored) with 2 images per GPU, no test-time resize (the 512
# tiles are predicted by sliding windows) and mIoU + mF1 (mFscore).
# Data: mmseg's converter, shipped in the mmseg package under
#   mmseg/.mim/tools/dataset_converters/ (command: docs/datasets.md) ->
#   data/potsdam/{img_dir,ann_dir}/{train,val}.
_base_ = 'mmseg::_base_/datasets/potsdam.py'
# mmseg's test pipeline without its Resize: the tiles are predicted whole
# (sliding windows), at their own resolution
test_pipeline = [t for t in _base_.test_pipeline if t.type != 'Resize']
# mmseg's class plus an error naming the layout and the converter command
# when the data is missing (rsvheat_mm/datasets/data_layouts.py)
dataset_type = 'rsvheat_mm.CheckedPotsdamDataset'
train_dataloader = dict(batch_size=2, dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
