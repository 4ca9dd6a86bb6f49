# Change detection on LEVIR-CD with a siamese RS-vHeat-B: one shared backbone
# encodes both dates, PyramidFusionNeck takes |A - B| at every level, UPerHead
# + auxiliary FCNHead predict unchanged / changed (the paper does not name its
# CD head). 256 crops from the 1024 x 1024 images, 4 per GPU; validation /
# test slide a 256 window with stride 256 over whole images.
# Optimizer AdamW lr 1e-4 wd 0.05 (none on norms, biases, FVE, SCE), 1.5k
# warm-up + poly, 40k iterations, batch 16 (4 GPUs x 4); a checkpoint every 4k
# iterations, the best-F1 one kept.
# Metrics: precision, recall, F1, IoU of the change class (+ OA, kappa).
# Paper (RS-vHeat): F1 93.48.
_base_ = [
    '../_base_/models/siamese-upernet_rsvheat-b.py',
    '../_base_/datasets/levir_cd.py', '../_base_/schedules/adamw_40k.py',
    '../_base_/default_runtime_mmseg.py'
]
crop_size = _base_.crop_size  # 256
model = dict(
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(crop_size=crop_size, stride=(256, 256)))
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.05))
default_hooks = dict(
    checkpoint=dict(interval=4000, save_best='F1', rule='greater'))
