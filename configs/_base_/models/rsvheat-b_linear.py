# Scene classification: RS-vHeat-B encoder (last stage, 1024 ch, initialised
# from the RS-vHeat pretraining checkpoint, prefix 'backbone.') -> global
# average pooling -> LinearClsHead (label smoothing 0.1); 30 classes (AID).
# Fine-tuning; linear probing: model.backbone.frozen_stages=4.
# The pretraining checkpoint (mmengine .pth of RSvHeatPretrainer) or an
# encoder state dict (then set prefix=None); None trains from scratch.
pretrained = ('work_dirs/rsvheat-pretrain_rsvheat-b_8xb32-coslr-200e_'
              'opt-sar-224/epoch_200.pth')
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='RSvHeat', arch='base', in_channels=3, img_size=224,
        out_indices=(3, ), drop_path_rate=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=30,
        in_channels=1024,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original', loss_weight=1.0),
        topk=(1, )),
    init_cfg=[dict(type='TruncNormal', layer='Linear', std=0.02)])
