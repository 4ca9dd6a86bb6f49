# Scene classification on AID (30 classes), TR50 protocol (50 % of every
# class for training). Metric: top-1 accuracy. Paper (RS-vHeat): OA 97.58.
# Model, optimizer (AdamW lr 5e-4, wd 0.05), schedule (100 epochs, 5 warm-up,
# cosine) and batch (256 = 8 x 32): as the TR20 config this inherits.
_base_ = ['./rsvheat-b_linear_8xb32-coslr-100e_aid-tr20-224.py']
split = 'tr50'
train_dataloader = dict(dataset=dict(ann_file=f'splits/train_{split}.txt'))
val_dataloader = dict(dataset=dict(ann_file=f'splits/val_{split}.txt'))
test_dataloader = val_dataloader
