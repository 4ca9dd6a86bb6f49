# Faster R-CNN + FPN (mmdet's own base model) on RS-vHeat-B: the ResNet-50 is
# replaced, the FPN takes the 128 / 256 / 512 / 1024-channel stride-4..32
# maps; drop_path 0.5 (vHeat-B detection). 80 classes until a leaf sets its
# dataset's. Set backbone init_cfg to converted RS-vHeat / vHeat weights
# (docs/detection.md).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    backbone=dict(
        _delete_=True, type='RSvHeat', arch='base', in_channels=3,
        img_size=224, drop_path_rate=0.5, out_indices=(0, 1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512, 1024]))
