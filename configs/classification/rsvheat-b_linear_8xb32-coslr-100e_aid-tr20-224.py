# Scene classification on AID (30 classes), TR20 protocol (20 % of every
# class for training, the rest for testing). Metric: top-1 accuracy (OA).
# Paper (RS-vHeat): OA 96.81 (TR20) / 97.58 (TR50).
# Model: RSvHeat-B encoder (init from RS-vHeat pretraining, prefix
#   'backbone.') -> global average pooling -> linear head (LinearClsHead).
#   Linear probing instead of fine-tuning: model.backbone.frozen_stages=4.
# Data: `python tools/dataset_converters/make_cls_splits.py aid data/AID`
#   writes data/AID/splits/{train,val}_tr{20,50}.txt.
# Optimizer: AdamW lr 5e-4 (vHeat-B fine-tuning), weight decay 0.05 (none on
#   FVE / SCE / layer scale / norms / biases), grad clip 5.
# Schedule: 100 epochs, 5 warm-up epochs (linear) then cosine to 1e-6.
# Batch: 256 = 8 GPUs x 32; auto_scale_lr rescales lr for other batches.
# Protocol TR20: the AID base's default split lists.
_base_ = [
    '../_base_/models/rsvheat-b_linear.py', '../_base_/datasets/aid.py',
    '../_base_/schedules/adamw_coslr-100e.py',
    '../_base_/default_runtime_mmpretrain.py'
]
