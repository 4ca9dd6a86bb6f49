# ./adamw_80k.py (AdamW lr 6e-5, wd 0.01, 1.5k warm-up + poly) over 40k
# iterations, validation every 4k.
_base_ = './adamw_80k.py'
param_scheduler = [
    dict(_base_.param_scheduler[0]),  # the same 1.5k-iteration warm-up
    dict(_base_.param_scheduler[1], end=40000)
]
train_cfg = dict(max_iters=40000, val_interval=4000)
