# Oriented R-CNN (le90) + FPN, RS-vHeat-B backbone, FAIR1M-2.0 (37 classes).
#
# Data:      FAIR1M-2.0 train/part1 + part2 -> train, validation -> val,
#            test -> test, split from the XML into 1024 x 1024 tiles, gap 200
#            (tools/dataset_converters/split_large_images.py --ann-format
#            fair1m, several folder pairs per call; docs/datasets.md) under
#            data/split_ss_fair1m2/{train,val,test}; flips (h, v, diagonal).
# Optimizer: AdamW, lr 1e-4, betas (0.9, 0.999), weight decay 0.05; no decay
#            on norms, biases, FVE and SCE.
# Schedule:  1x = 12 epochs, warm-up 500 iters, lr x0.1 at epochs 8 and 11.
# Batch:     2 images on 1 GPU; scale lr linearly.
# Metric:    val: DOTAMetric mAP (VOC07 11-point, IoU 0.5, on tiles).
#            test: tiles merged to full images (rotated NMS, IoU 0.1) and
#            written as one FAIR1M-2.0 XML per image + zip for the ISPRS
#            benchmark server (the server's mAP is the paper's number).
_base_ = ['./oriented-rcnn-le90_rsvheat-b_fpn_1x_dota.py']

model = dict(roi_head=dict(bbox_head=dict(num_classes=37)))

dataset_type = 'FAIR1MDataset'
data_root = 'data/split_ss_fair1m2/'


def _split(split, ann_file=None, **kwargs):
    return dict(dataset=dict(
        type=dataset_type, data_root=data_root,
        ann_file=f'{split}/annfiles/' if ann_file is None else ann_file,
        data_prefix=dict(img_path=f'{split}/images/'), **kwargs))


train_dataloader = _split('train')
val_dataloader = _split('val')
test_dataloader = _split('test', ann_file='', test_mode=True)  # no labels
test_evaluator = dict(
    out_dir='fair1m_submission',  # relative: under the run's work dir
    formats=('fair1m', ))
