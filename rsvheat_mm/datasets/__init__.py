"""Datasets and transforms of rsvheat_mm. Each module registers on import.

Host-dependent modules go through ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones to the list.
"""
from ..utils.imports import import_optional

import_optional([
    '.transforms',
    '.scene_cls',  # AID, NWPU-RESISC45 (mmpretrain)
    '.dior', '.sar_aircraft',  # detection (mmdet)
    '.dota', '.fair1m',  # rotated detection (mmrotate)
    '.levir_cd', '.whu_opt_sar', '.air_polsar_seg',  # segmentation (mmseg)
    '.checked_seg_datasets',  # mmseg Potsdam / iSAID with layout errors
    '.synthetic_seg',  # embedded demo data
    '.unlabelled_datasets',  # self-supervised pretraining
    '.multi_uav_bev',  # RS-DFM scenes
], __name__)
