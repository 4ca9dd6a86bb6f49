# Unlabelled optical + SAR pretraining data (docs/pretraining.md): an optical
# folder, a SAR folder and an optical-SAR pair list, one ConcatDataset; a
# batch may mix modalities (multimodal_collate). 224 random resized crops
# (area 50-100 %; paper: 448 crops at 224 input), flips / 90-degree turns;
# 32 images per GPU.
# Layout: data/rs_pretrain/{optical/,sar/,pairs/{optical,sar}/,pairs.txt}.
data_root = 'data/rs_pretrain/'
train_pipeline = [
    dict(type='LoadMultiModalImages', channels=dict(opt=3, sar=1)),
    dict(type='MultiModalRandomResizedCrop', scale=224,
         crop_scale=(0.5, 1.0)),
    dict(type='MultiModalRandomFlip', prob=0.5, rot90=True),
    dict(type='PackMultiModalInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # samples of one batch may hold different modalities
    collate_fn=dict(type='multimodal_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type='UnlabelledImageFolder', data_root=data_root,
                 data_prefix=dict(img_path='optical'), modality='opt',
                 pipeline=train_pipeline),
            dict(type='UnlabelledImageFolder', data_root=data_root,
                 data_prefix=dict(img_path='sar'), modality='sar',
                 pipeline=train_pipeline),
            dict(type='OptSarPairDataset', data_root=data_root,
                 ann_file='pairs.txt',
                 data_prefix=dict(opt='pairs/optical', sar='pairs/sar'),
                 pipeline=train_pipeline),
        ]))
