# UperNet + RS-vHeat-B on AIR-PolSAR-Seg (Gaofen-3 quad-pol SAR, 6 classes):
# HH, HV, VH, VV log-compressed and stacked into one 4-channel image for a
# 4-channel stem; 512 crops, 2 images per GPU; sliding-window test (512,
# stride 341). Optimizer AdamW lr 6e-5 wd 0.01 (none on norms, biases, FVE,
# SCE), 1.5k warm-up + poly, 40k iterations, batch 16 (8 GPUs x 2).
# Metric: mIoU (best checkpoint kept). Paper (RS-vHeat): mIoU 57.46.
_base_ = [
    '../_base_/models/upernet_rsvheat-b.py',
    '../_base_/datasets/air_polsar_seg.py',
    '../_base_/schedules/adamw_40k.py', '../_base_/default_runtime_mmseg.py'
]
model = dict(
    # documented default 0 / 1 (log1p intensities are O(1..10)), not a
    # statistic: take the numbers from
    # `python tools/analysis_tools/dataset_stats.py <this config>`
    data_preprocessor=dict(
        size=_base_.crop_size, mean=[0., 0., 0., 0.], std=[1., 1., 1., 1.],
        bgr_to_rgb=False),
    backbone=dict(in_channels=4))
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
