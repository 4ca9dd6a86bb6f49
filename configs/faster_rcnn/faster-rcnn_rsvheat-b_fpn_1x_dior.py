# Faster R-CNN + FPN, RS-vHeat-B backbone, DIOR (20 classes, horizontal boxes).
#
# Data:      DIOR train+val (11,725 images) for training, test (11,738) for
#            testing; 800 x 800 optical images, no rescaling; flips.
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE (vHeat/Swin detection recipe).
# Schedule:  1x = 12 epochs, linear warm-up 500 iters, lr x0.1 at epochs 8
#            and 11 (mmdet schedule_1x).
# Batch:     16 = 8 GPUs x 2 images (auto_scale_lr base 16).
# Metric:    VOC mAP50 (VOCMetric, eval_mode='area' = all-point AP; use
#            '11points' for VOC07-style numbers). Difficult objects ignored.
#            Paper (RS-vHeat): mAP50 82.30.
# Backbone:  drop_path 0.5 (vHeat-B detection); set init_cfg to pretrained
#            RS-vHeat / vHeat weights (see docs/detection.md).
_base_ = [
    '../_base_/models/faster-rcnn_rsvheat-b_fpn.py',
    '../_base_/datasets/dior.py', '../_base_/schedules/adamw_1x.py',
    '../_base_/default_runtime_mmdet.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=_base_.num_classes)))
