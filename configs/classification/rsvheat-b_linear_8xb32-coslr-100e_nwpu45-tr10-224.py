# Scene classification on NWPU-RESISC45 (45 classes), TR10 protocol (10 % of
# every class for training). Metric: top-1 accuracy (OA).
# Paper (RS-vHeat): OA 92.01 (TR10) / 95.66 (TR20).
# Data: `python tools/dataset_converters/make_cls_splits.py nwpu
#   data/NWPU-RESISC45` writes splits/{train,val}_tr{10,20}.txt.
# Model (RSvHeat-B + GAP + linear head), optimizer (AdamW lr 5e-4, wd 0.05),
# schedule (100 epochs, 5 warm-up, cosine) and batch (256 = 8 x 32): as the
# AID TR20 config this inherits.
_base_ = ['./rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py']
dataset_type = 'NWPURESISC45Dataset'
data_root = 'data/NWPU-RESISC45/'
split = 'tr10'
num_classes = 45
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file=f'splits/train_{split}.txt'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file=f'splits/val_{split}.txt'))
test_dataloader = val_dataloader
