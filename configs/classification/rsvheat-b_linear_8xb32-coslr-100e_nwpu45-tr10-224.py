# Scene classification on NWPU-RESISC45 (45 classes), TR10 protocol (10 % of
# every class for training). Metric: top-1 accuracy (OA).
# Paper (RS-vHeat): OA 92.01 (TR10) / 95.66 (TR20).
# Data: `python tools/dataset_converters/make_cls_splits.py nwpu
#   data/NWPU-RESISC45` writes splits/{train,val}_tr{10,20}.txt.
# Model (RSvHeat-B + GAP + linear head), optimizer (AdamW lr 5e-4, wd 0.05),
# schedule (100 epochs, 5 warm-up, cosine), batch (256 = 8 x 32) and
# checkpointing: as the AID TR20 config. Protocol TR10: the NWPU base's
# default split lists.
_base_ = [
    '../_base_/models/rsvheat-b_linear.py',
    '../_base_/datasets/nwpu_resisc45.py',
    '../_base_/schedules/adamw_coslr-100e.py',
    '../_base_/default_runtime_mmpretrain.py'
]
model = dict(head=dict(num_classes=_base_.num_classes))
