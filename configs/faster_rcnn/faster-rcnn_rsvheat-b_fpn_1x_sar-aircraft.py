# Faster R-CNN + FPN, RS-vHeat-B with its 1-channel SAR stem,
# SAR-AIRcraft-1.0 (7 aircraft classes, horizontal boxes, Gaofen-3 SAR).
#
# Data:      release layout (docs/datasets.md); train.txt -> test.txt;
#            1-channel images loaded as grayscale, resized to fit 800 x 800
#            (the release has 800 to 1500 px images), flips.
# Input:     1 channel; mean 127.5 / std 127.5 is a documented default, not
#            a statistic (real images average ~26, std ~25): take the numbers
#            from `python tools/analysis_tools/dataset_stats.py <this config>`.
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE.
# Schedule:  1x = 12 epochs, warm-up 500 iters, lr x0.1 at epochs 8 and 11.
# Batch:     16 = 8 GPUs x 2 images.
# Metric:    VOC mAP50 (VOCMetric, all-point AP). Paper (RS-vHeat): 87.1.
_base_ = [
    '../_base_/models/faster-rcnn_rsvheat-b_fpn.py',
    '../_base_/datasets/sar_aircraft.py', '../_base_/schedules/adamw_1x.py',
    '../_base_/default_runtime_mmdet.py'
]
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], bgr_to_rgb=False),
    backbone=dict(in_channels=1),
    roi_head=dict(bbox_head=dict(num_classes=_base_.num_classes)))
