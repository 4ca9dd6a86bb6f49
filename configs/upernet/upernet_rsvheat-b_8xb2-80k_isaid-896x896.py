# UperNet + RS-vHeat-B on iSAID semantic segmentation (16 classes incl.
# background). Data: mmseg's iSAID base (896 patches, 2 images per GPU);
# sliding-window test (896, stride 512). Optimizer AdamW lr 6e-5 wd 0.01
# (none on norms, biases, FVE, SCE), 1.5k warm-up + poly, 80k iterations,
# batch 16 (8 GPUs x 2). Metric: mIoU (best checkpoint kept).
# Paper (RS-vHeat): mIoU 68.72.
_base_ = [
    '../_base_/models/upernet_rsvheat-b.py', '../_base_/datasets/isaid.py',
    '../_base_/schedules/adamw_80k.py', '../_base_/default_runtime_mmseg.py'
]
crop_size = _base_.crop_size  # 896
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=16),
    auxiliary_head=dict(num_classes=16),
    test_cfg=dict(crop_size=crop_size, stride=(512, 512)))
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
