# Scene classification on NWPU-RESISC45 (45 classes), TR20 protocol (20 % of
# every class for training). Metric: top-1 accuracy. Paper: OA 95.66.
# Model, optimizer (AdamW lr 5e-4, wd 0.05), schedule (100 epochs, 5 warm-up,
# cosine) and batch (256 = 8 x 32): as the TR10 config this inherits.
_base_ = ['./rsvheat-b_linear_8xb32-coslr-100e_nwpu45-tr10-224.py']
split = 'tr20'
train_dataloader = dict(dataset=dict(ann_file=f'splits/train_{split}.txt'))
val_dataloader = dict(dataset=dict(ann_file=f'splits/val_{split}.txt'))
test_dataloader = val_dataloader
