# NWPU-RESISC45 (45 scene classes x 700 images of 256 x 256, rsvheat_mm
# NWPURESISC45Dataset) with AID's pipelines and loaders (./aid.py). Protocol
# TR10 (splits/{train,val}_tr10.txt); a leaf config for another protocol sets
# `split` and the two lists. Metric: top-1 accuracy (OA).
# Data: `python tools/dataset_converters/make_cls_splits.py nwpu
#   data/NWPU-RESISC45` writes splits/{train,val}_tr{10,20}.txt there.
_base_ = './aid.py'
dataset_type = 'NWPURESISC45Dataset'
data_root = 'data/NWPU-RESISC45/'
split = 'tr10'
num_classes = 45
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root,
    ann_file=f'splits/train_{split}.txt'))
val_dataloader = dict(dataset=dict(
    type=dataset_type, data_root=data_root,
    ann_file=f'splits/val_{split}.txt'))
test_dataloader = val_dataloader
