"""Metrics of rsvheat_mm. Each module registers on import.

Host-dependent modules go through ``import_optional`` (see
:mod:`rsvheat_mm.utils.imports`); add new ones to the list.
"""
from ...utils.imports import import_optional

import_optional([
    '.change_metric',  # LEVIR-CD precision / recall / F1 / IoU
    '.det_submission_metric',  # leaderboard files from a test run
    '.bev_metrics',  # RS-DFM BEV IoU and centre AP
], __name__)
