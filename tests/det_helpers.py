"""Shared helpers of the detection tests: tiny configs on the real tiles."""
import copy
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    'dior': 'configs/faster_rcnn/faster-rcnn_rsvheat-b_fpn_1x_dior.py',
    'sar': 'configs/faster_rcnn/faster-rcnn_rsvheat-b_fpn_1x_sar-aircraft.py',
    'dota':
    'configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py',
    'fair1m':
    'configs/oriented_rcnn/oriented-rcnn-le90_rsvheat-b_fpn_1x_fair1m.py',
}
TINY_BACKBONE = dict(arch=dict(embed_dims=16, depths=[1, 1, 1, 1]),
                     img_size=64, drop_path_rate=0.)
WIDTH = 32  # FPN / head channels of the tiny models


def shrink_model(model: dict) -> dict:
    """Tiny RSvHeat, narrow FPN and heads, few proposals (in place)."""
    model.backbone.update(TINY_BACKBONE)
    model.neck.update(in_channels=[16, 32, 64, 128], out_channels=WIDTH)
    model.rpn_head.update(in_channels=WIDTH, feat_channels=WIDTH)
    model.roi_head.bbox_roi_extractor.out_channels = WIDTH
    model.roi_head.bbox_head.update(in_channels=WIDTH, fc_out_channels=64)
    model.train_cfg.rpn_proposal.update(nms_pre=300, max_per_img=100)
    model.train_cfg.rcnn.sampler.num = 64
    model.test_cfg.rpn.update(nms_pre=300, max_per_img=100)
    return model


def hbox_pipelines(size, gray=False):
    load = dict(type='LoadImageFromFile',
                color_type='grayscale' if gray else 'color')
    train = [load, dict(type='LoadAnnotations', with_bbox=True),
             dict(type='Resize', scale=(size, size), keep_ratio=True),
             dict(type='PackDetInputs')]
    test = [load, dict(type='Resize', scale=(size, size), keep_ratio=True),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='PackDetInputs',
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                            'scale_factor'))]
    return train, test


def rbox_pipelines(size, frame=1024, flip=False, test_ann=True):
    """DOTA-style pipelines; the shared tile is a 170 px thumbnail of a
    1024 px tile, so it is first brought to the label frame."""
    head = [dict(type='mmdet.LoadImageFromFile'),
            dict(type='ResizeToAnnotationFrame', frame_size=frame)]
    ann = [dict(type='mmdet.LoadAnnotations', with_bbox=True,
                box_type='qbox'),
           dict(type='ConvertBoxType', box_type_mapping=dict(
               gt_bboxes='rbox'))]
    resize = dict(type='mmdet.Resize', scale=(size, size), keep_ratio=True)
    train = head + ann + [resize]
    if flip:
        train.append(dict(type='mmdet.RandomFlip', prob=0.75,
                          direction=['horizontal', 'vertical', 'diagonal']))
    train.append(dict(type='mmdet.PackDetInputs'))
    test = head + [resize] + (ann if test_ann else []) + [dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))]
    return train, test


def make_sar_tile(shared_data, root: Path) -> Path:
    """A SAR-AIRcraft-style folder from the real DIOR tile (1 channel)."""
    (root / 'JPEGImages').mkdir(parents=True, exist_ok=True)
    (root / 'Annotations').mkdir(exist_ok=True)
    img = cv2.imread(str(shared_data / 'dior/JPEGImages/00001.jpg'),
                     cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(root / 'JPEGImages' / '00001.jpg'), img)
    (root / 'Annotations' / '00001.xml').write_text(
        '<annotation><size><width>800</width><height>800</height>'
        '<depth>1</depth></size><object><name>other</name><difficult>0'
        '</difficult><bndbox><xmin>133</xmin><ymin>237</ymin><xmax>684'
        '</xmax><ymax>672</ymax></bndbox></object></annotation>')
    return root


def make_fair1m_tile(shared_data, root: Path) -> Path:
    """FAIR1M-class DOTA txt for the real DOTA tile ('other-airplane')."""
    (root / 'annfiles').mkdir(parents=True, exist_ok=True)
    src = shared_data / 'dota/labelTxt/P2805__1024__0___0.txt'
    text = src.read_text().replace(' plane ', ' other-airplane ')
    (root / 'annfiles' / src.name).write_text(text)
    return root


def dataset_cfgs(name, cfg, shared_data, tmp_path, size=256):
    """(train, test) dataset dicts on a real tile for config ``name``."""
    dtype = cfg.val_dataloader.dataset.type
    if name in ('dior', 'sar'):
        train_p, test_p = hbox_pipelines(size, gray=name == 'sar')
        if name == 'dior':
            kw = dict(data_root=str(shared_data / 'dior'),
                      data_prefix=dict(
                          img_path='JPEGImages',
                          ann_path='Annotations/Oriented Bounding Boxes'))
        else:
            kw = dict(data_root=str(make_sar_tile(shared_data,
                                                  tmp_path / 'sar')))
    else:
        train_p, test_p = rbox_pipelines(size)
        if name == 'dota':
            kw = dict(data_root=str(shared_data / 'dota'),
                      ann_file='labelTxt/',
                      data_prefix=dict(img_path='images/'))
        else:
            kw = dict(data_root=str(make_fair1m_tile(shared_data,
                                                     tmp_path / 'fair')),
                      ann_file='annfiles/',
                      data_prefix=dict(
                          img_path=str(shared_data / 'dota/images') + '/'))
    train = dict(type=dtype, ann_file='', pipeline=train_p, **kw) \
        if 'ann_file' not in kw else dict(type=dtype, pipeline=train_p, **kw)
    test = dict(copy.deepcopy(train), pipeline=test_p, test_mode=True)
    return train, test


def runner_cfg(cfg, train_ds, test_ds, work_dir, iters=2, evaluator=None):
    """Iteration-based, single-process runner settings (in place)."""
    loader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.train_dataloader = dict(loader, dataset=train_ds)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=10**6)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = dict(loader, dataset=test_ds)
    cfg.test_cfg = dict(type='TestLoop') if evaluator else None
    cfg.test_evaluator = evaluator
    if evaluator is None:
        cfg.test_dataloader = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**6)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(type='LogProcessor', window_size=1,
                             by_epoch=False)
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    cfg.env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(
        mp_start_method='fork', opencv_num_threads=0),
                       dist_cfg=dict(backend='gloo'))
    cfg.pop('auto_scale_lr', None)
    cfg.pop('load_from', None)
    return cfg


def image_of(name, shared_data):
    if name in ('dior', 'sar'):
        return cv2.imread(str(shared_data / 'dior/JPEGImages/00001.jpg'))
    return cv2.resize(cv2.imread(str(
        shared_data / 'dota/images/P2805__1024__0___0.png')), (1024, 1024))


