"""Evaluation of rsvheat_mm: metrics (registered) and leaderboard writers."""
from . import metrics  # noqa: F401
