# Pieces of the quick-run leaves (`*_rsvheat-tiny16_*`, one per task folder):
# a 16-channel RSvHeat (depths 1-1-1-1, no drop path, random init), its
# 16 / 32 / 64 / 128-channel maps into narrow necks and heads, and a
# 200-iteration schedule (AdamW lr 1e-3, 20 warm-up iterations) with a log
# every 20 iterations and one checkpoint at the end. Every name starts with
# `quick_` so this file can be listed next to a full leaf config without a
# key clash; a leaf picks what it needs (`model = dict(_base_.quick_upernet,
# ...)`).
quick_iters = 200
quick_backbone = dict(
    arch=dict(_delete_=True, embed_dims=16, depths=[1, 1, 1, 1]),
    drop_path_rate=0.0)
quick_channels = [16, 32, 64, 128]
_bn = dict(type='BN', requires_grad=True)
# UperNet (segmentation, change detection): 32-channel decoder, auxiliary
# FCN head on stage 3 (64 channels)
quick_upernet = dict(
    backbone=quick_backbone,
    decode_head=dict(in_channels=quick_channels, channels=32, norm_cfg=_bn),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=_bn))
# two-stage detectors (Faster / Oriented R-CNN): 32-channel FPN, RPN, RoI
# head, fewer proposals
_width = 32
quick_two_stage = dict(
    backbone=quick_backbone,
    neck=dict(in_channels=quick_channels, out_channels=_width),
    rpn_head=dict(in_channels=_width, feat_channels=_width),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=_width),
        bbox_head=dict(in_channels=_width, fc_out_channels=128)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=300),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
quick_warmup = dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                    begin=0, end=20)
quick_poly = dict(type='PolyLR', power=1.0, eta_min=1e-5, by_epoch=False,
                  begin=20, end=quick_iters)
quick_train_cfg = dict(max_iters=quick_iters, val_interval=quick_iters)
# by-iteration loop for the epoch-based parents (detection, classification)
quick_iter_loop = dict(_delete_=True, type='IterBasedTrainLoop',
                       max_iters=quick_iters, val_interval=quick_iters)
quick_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=quick_iters, max_keep_ckpts=1))
