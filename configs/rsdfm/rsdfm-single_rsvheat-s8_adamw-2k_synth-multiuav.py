# RS-DFM single-platform baseline: the collaborative config without exchange.
# Training: each sample uses ONE random UAV (its own images, no messages);
# testing: UAV 0 alone is the main prediction, and every UAV alone is also
# predicted so that BEVSegIoUMetric reports the best single platform per
# scene (best_single_mIoU). Same optimizer (AdamW, lr 2e-3, wd 1e-4, clip 5),
# schedule (2000 iterations, val every 500) and batch (4 frames) as the
# collaborative config.
_base_ = ['./rsdfm-collab_rsvheat-s8_adamw-2k_synth-multiuav.py']

model = dict(mode='single', codec=None, agent_dropout=0.0)
