# UperNet on RS-vHeat-B (segmentation): the four stride-4..32 maps (128 / 256
# / 512 / 1024 channels) into UPerHead (512 ch) + an auxiliary FCNHead on
# stage 3; 6 classes, sliding-window test (512, stride 341). No public
# RS-vHeat weights exist: set backbone init_cfg=dict(type='Pretrained',
# checkpoint='<converted .pth>') (tools/model_converters) to fine-tune.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN on one device
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='RSvHeat', arch='base', in_channels=3, img_size=224,
        out_indices=(0, 1, 2, 3), drop_path_rate=0.5, init_cfg=None),
    decode_head=dict(
        type='UPerHead', in_channels=[128, 256, 512, 1024],
        in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6), channels=512,
        dropout_ratio=0.1, num_classes=6, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(  # on stage 3 (512 ch), loss weight 0.4
        type='FCNHead', in_channels=512, in_index=2, channels=256,
        num_convs=1, concat_input=False, dropout_ratio=0.1, num_classes=6,
        norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
