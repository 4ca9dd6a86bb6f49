"""Metrics of rsvheat_mm. Each module registers on import."""
