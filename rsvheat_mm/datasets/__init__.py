"""Datasets and transforms of rsvheat_mm. Each module registers on import."""
