# RS-DFM collaborative multi-UAV BEV perception (docs/rsdfm.md): a tiny
# RSvHeat encoder (embed_dims 16, depths [1, 1], shared by all UAVs) ->
# ground-prior relative-depth lift (9 height bins 0-16 m) to a 32 x 32 BEV
# grid of 2 m -> frequency-decoupled codec (budget 1/4 of the raw float32 map:
# 16 ch x 32 x 32 x 4 B = 65536 B -> 16384 B per UAV per frame) -> confidence
# fusion -> BEV segmentation (3 classes) + centre detection heads.
bev_grid = dict(x_range=(-32.0, 32.0), y_range=(-32.0, 32.0), resolution=2.0)
model = dict(
    type='CollabBEVModel',
    mode='collab',
    backbone=dict(
        type='RSvHeat',
        arch=dict(embed_dims=16, depths=[1, 1]),
        out_indices=(0, 1),
        img_size=64),
    neck_channels=32,
    view_transformer=dict(
        out_channels=16,
        bev_grid=bev_grid,
        height_bins=(16.0, 9),
        depth_mode='relative',
        lift_upsample=2),
    codec=dict(budget=0.25, low_size=8, low_bits=8, high_bits=16),
    fusion=dict(hidden=16, mode='softmax'),
    seg_head=dict(num_classes=3, hidden=32, class_weight=(0.2, 1.0, 1.0)),
    det_head=dict(classes=(0, ), hidden=32),
    loss_height=0.5,
    agent_dropout=0.25,
    test_single=True)
