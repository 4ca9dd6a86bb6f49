"""Self-supervised pretraining of RS-vHeat (mmpretrain).

Frequency-domain hierarchical masking (:mod:`.masking`), multi-domain
reconstruction heads and losses (:mod:`.heads`, :mod:`.losses`), unlabelled
optical / SAR / paired datasets and their transforms (:mod:`.datasets`,
:mod:`.transforms`), the data preprocessor and the ``BaseSelfSupervisor``
subclass :class:`RSvHeatPretrainer` (:mod:`.algorithm`). Everything is
registered into rsvheat_mm's registries and exported to mmpretrain's. See
``docs/pretraining.md``.

The masking, losses and decoder need only torch + mmengine; the datasets,
transforms and the algorithm need mmcv and mmpretrain and are skipped (with
the reason kept in ``MISSING_HOST``) when those are not installed.
"""
from .masking import (FrequencyHierarchicalMasking, FrequencyMaskOutput,
                      image_dct, image_idct)
from .losses import (CrossModalContrastiveLoss, FrequencyL1Loss,
                     PixelL1Loss)
from .heads import (CrossModalContrastiveHead, FrequencyReconstructionHead,
                    RSvHeatReconDecoder, SpatialReconstructionHead)
from .data_preprocessor import RSMultiModalDataPreprocessor
from .checkpoint import extract_backbone
from .hooks import PlainWeightsHook

__all__ = [
    'FrequencyHierarchicalMasking', 'FrequencyMaskOutput', 'image_dct',
    'image_idct', 'PixelL1Loss', 'FrequencyL1Loss',
    'CrossModalContrastiveLoss', 'RSvHeatReconDecoder',
    'SpatialReconstructionHead', 'FrequencyReconstructionHead',
    'CrossModalContrastiveHead', 'RSMultiModalDataPreprocessor',
    'extract_backbone', 'PlainWeightsHook'
]

MISSING_HOST = None
try:
    import mmcv  # noqa: F401
    import mmpretrain  # noqa: F401
except ImportError as e:  # pragma: no cover - optional hosts
    MISSING_HOST = str(e)
else:
    from .algorithm import RSvHeatPretrainer
    from .datasets import (OptSarPairDataset, UnlabelledImageFolder,
                           multimodal_collate)
    from .transforms import (LoadMultiModalImages, MultiModalRandomFlip,
                             MultiModalRandomResizedCrop, MultiModalResize,
                             PackMultiModalInputs)
    __all__ += [
        'RSvHeatPretrainer', 'OptSarPairDataset', 'UnlabelledImageFolder',
        'multimodal_collate', 'LoadMultiModalImages', 'MultiModalRandomFlip',
        'MultiModalRandomResizedCrop', 'MultiModalResize',
        'PackMultiModalInputs'
    ]
