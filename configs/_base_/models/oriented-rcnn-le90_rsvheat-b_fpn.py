# Oriented R-CNN (le90) + FPN on RS-vHeat-B. mmrotate keeps this model inside
# its DOTA config, not in a model base, so this file inherits that whole
# config (model, DOTA-v1.0 1024-tile data, 1x schedule, runtime, scope
# 'mmrotate') and swaps the backbone: the FPN takes the 128 / 256 / 512 /
# 1024-channel stride-4..32 maps; drop_path 0.5. Set backbone init_cfg to
# converted weights (docs/detection.md).
_base_ = 'mmrotate::oriented_rcnn/oriented-rcnn-le90_r50_fpn_1x_dota.py'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        _delete_=True, type='RSvHeat', arch='base', in_channels=3,
        img_size=224, drop_path_rate=0.5, out_indices=(0, 1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512, 1024]))

# mmdet's DetInferencer finds the image loader by the exact type name
# 'LoadImageFromFile' and refuses mmrotate's 'mmdet.LoadImageFromFile'
# ("LoadImageFromFile is not found in the test pipeline"). Both names resolve
# to mmcv's one loader (mmrotate registers none), so spell it the plain way.


def _plain_loader(pipeline):
    return [dict(t, type='LoadImageFromFile')
            if t['type'] == 'mmdet.LoadImageFromFile' else t
            for t in pipeline]


train_pipeline = _plain_loader(_base_.train_pipeline)
val_pipeline = _plain_loader(_base_.val_pipeline)
test_pipeline = _plain_loader(_base_.test_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
