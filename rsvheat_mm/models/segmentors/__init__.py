"""Segmentors of rsvheat_mm (registered into rsvheat_mm and mmseg)."""
from .siamese_encoder_decoder import SiameseEncoderDecoder

__all__ = ['SiameseEncoderDecoder']
