# Change detection: ./upernet_rsvheat-b.py made siamese. One shared RS-vHeat-B
# encodes both dates (6-channel input [A, B], per-date normalisation, already
# RGB), PyramidFusionNeck takes |A - B| at every level (the "siamese encoder +
# difference neck + UperNet" reading of RS-vHeat; the paper does not name its
# CD head), UPerHead (256 ch) + auxiliary FCNHead predict unchanged / changed.
# drop_path 0.2 (LEVIR-CD is small).
_base_ = './upernet_rsvheat-b.py'
model = dict(
    type='SiameseEncoderDecoder',
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53] * 2,
        std=[58.395, 57.12, 57.375] * 2,
        bgr_to_rgb=False),
    backbone=dict(drop_path_rate=0.2),
    fusion_neck=dict(type='PyramidFusionNeck', policy='abs_diff'),
    decode_head=dict(channels=256, num_classes=2),
    auxiliary_head=dict(num_classes=2))
