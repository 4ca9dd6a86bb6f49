"""Hooks and runner helpers of rsvheat_mm."""
