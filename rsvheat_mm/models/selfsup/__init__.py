"""Self-supervised pretraining of RS-vHeat (mmpretrain).

Frequency-domain hierarchical masking (:mod:`.masking`), multi-domain
reconstruction heads and losses (:mod:`.heads`, :mod:`.losses`), the data
preprocessor and the ``BaseSelfSupervisor`` subclass
:class:`RSvHeatPretrainer` (:mod:`.rsvheat_pretrainer`), and
:func:`extract_backbone` for the fine-tuning configs. The unlabelled datasets
and multi-modal transforms live in :mod:`rsvheat_mm.datasets`, the
``PlainWeightsHook`` in :mod:`rsvheat_mm.engine.hooks`. See
``docs/pretraining.md``. The masking, losses and decoder need only torch +
mmengine; the algorithm needs mmpretrain.
"""
from ...utils.imports import import_optional
from .data_preprocessor import RSMultiModalDataPreprocessor
from .extract_backbone import extract_backbone
from .heads import (CrossModalContrastiveHead, FrequencyReconstructionHead,
                    RSvHeatReconDecoder, SpatialReconstructionHead)
from .losses import CrossModalContrastiveLoss, FrequencyL1Loss, PixelL1Loss
from .masking import (FrequencyHierarchicalMasking, FrequencyMaskOutput,
                      image_dct, image_idct)

import_optional(['.rsvheat_pretrainer'], __name__)

__all__ = [
    'FrequencyHierarchicalMasking', 'FrequencyMaskOutput', 'image_dct',
    'image_idct', 'PixelL1Loss', 'FrequencyL1Loss',
    'CrossModalContrastiveLoss', 'RSvHeatReconDecoder',
    'SpatialReconstructionHead', 'FrequencyReconstructionHead',
    'CrossModalContrastiveHead', 'RSMultiModalDataPreprocessor',
    'extract_backbone'
]
