"""Metrics of rsvheat_mm. Each module registers on import."""
from . import change_metric  # noqa: F401
