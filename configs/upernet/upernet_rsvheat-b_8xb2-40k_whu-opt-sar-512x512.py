# UperNet + RS-vHeat-B on WHU-OPT-SAR (optical + SAR, 7 classes). The
# backbone's two-modality mode: stems in_channels=dict(opt=3, sar=1) in front
# of one shared encoder; the 4-channel input [R, G, B, SAR] is split by the
# backbone (channels 0-2 -> stems['opt'], 3 -> stems['sar']) and the two
# modalities' features are summed at every stage (modality_fusion='sum').
# 512 tiles of tools/dataset_converters/whu_opt_sar.py, 2 per GPU; test
# slides a 512 window (stride 384) over the test tiles. Optimizer AdamW lr
# 6e-5 wd 0.01 (none on norms, biases, FVE, SCE), 1.5k warm-up + poly, 40k
# iterations, batch 16 (8 GPUs x 2). Metrics: OA (= aAcc, best checkpoint
# kept) and mIoU.
# Paper (RS-vHeat): OA 83.9.
_base_ = [
    '../_base_/models/upernet_rsvheat-b.py',
    '../_base_/datasets/whu_opt_sar.py', '../_base_/schedules/adamw_40k.py',
    '../_base_/default_runtime_mmseg.py'
]
model = dict(
    # ImageNet RGB + SAR 127.5 / 64: documented defaults, not statistics of
    # this data: take them from
    # `python tools/analysis_tools/dataset_stats.py <this config>`
    data_preprocessor=dict(
        size=_base_.crop_size,
        mean=[123.675, 116.28, 103.53, 127.5],
        std=[58.395, 57.12, 57.375, 64.0],
        bgr_to_rgb=False),
    backbone=dict(
        in_channels=dict(opt=3, sar=1, _delete_=True), modality_fusion='sum'),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7),
    test_cfg=dict(stride=(384, 384)))
default_hooks = dict(checkpoint=dict(save_best='aAcc', rule='greater'))
