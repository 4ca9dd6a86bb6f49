# RS-vHeat self-supervised pretraining (docs/pretraining.md): RSvHeat-B with
# an optical (3-band) and a SAR (1-band) stem sharing one encoder;
# frequency-domain hierarchical masking (25 % of the high-band DCT
# coefficients zeroed, low band r < U(0.05, 0.15) kept, 4 rings x 8
# sectors); a decoder fusing stages 3 + 4 and pixel-shuffling x16; multi-domain
# reconstruction L = L_Con + L_Spa + L_Fre (weights 1 / 1 / 1).
channels = dict(opt=3, sar=1)
model = dict(
    type='RSvHeatPretrainer',
    data_preprocessor=dict(
        type='RSMultiModalDataPreprocessor',
        channels=channels,
        mean=dict(opt=[123.675, 116.28, 103.53], sar='per_image'),
        std=dict(opt=[58.395, 57.12, 57.375]),
        transform=dict(sar='log1p')),
    backbone=dict(
        type='RSvHeat',
        arch='base',
        in_channels=channels,
        img_size=224,
        out_indices=(0, 1, 2, 3),  # every output norm is pretrained
        drop_path_rate=0.1),
    neck=dict(
        type='RSvHeatReconDecoder',
        in_channels=(512, 1024),
        in_index=(2, 3),
        channels=256,
        num_convs=2,
        out_channels=channels,
        upsample=16),
    masking=dict(
        type='FrequencyHierarchicalMasking',
        ratio=0.25,
        low_radius=(0.05, 0.15),
        num_rings=4,
        num_sectors=8),
    spatial_head=dict(
        type='SpatialReconstructionHead',
        loss=dict(type='PixelL1Loss', loss_weight=1.0)),
    frequency_head=dict(
        type='FrequencyReconstructionHead',
        loss=dict(type='FrequencyL1Loss', loss_weight=1.0,
                  normalize='relative')),
    contrastive_head=dict(
        type='CrossModalContrastiveHead',
        in_channels=1024,
        hidden_channels=1024,
        out_channels=256,
        loss=dict(type='CrossModalContrastiveLoss', mode='infonce',
                  temperature=0.1, loss_weight=1.0)))
