"""RS-vHeat self-supervised pretraining as an mmpretrain algorithm."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import BaseSelfSupervisor
from torch import Tensor

from ...registry import MODELS, build_module, register
from .masking import FrequencyMaskOutput

__all__ = ['RSvHeatPretrainer']

InputsT = Union[Tensor, Dict[str, Tensor]]


@register(MODELS, hosts=('mmpretrain', ))
class RSvHeatPretrainer(BaseSelfSupervisor):
    """Frequency-masked, multi-domain reconstruction pretraining of RSvHeat.

    For every modality ``m`` of a batch (optical, SAR, or both for paired
    samples):

    1. :class:`~.masking.FrequencyHierarchicalMasking` gives the encoder input
       ``masked`` and the ``low`` / ``high`` views (an independent draw per
       image and modality).
    2. The shared encoder (``backbone``, stem ``m``) runs once on the batch
       ``[masked; low; high]`` (``low``/``high`` only when the contrastive
       head is on).
    3. The decoder (``neck``) fuses stages 3 and 4 of ``masked`` and
       reconstructs the image; ``spatial_head`` (``L_Spa``, L1 on
       normalised pixels) and ``frequency_head`` (``L_Fre``, L1 on DCT
       spectra) compare it with the *unmasked* image.
    4. ``contrastive_head`` projects pooled stage-4 features of the views.
       Positive pairs: for an optical-SAR pair, (optical high, SAR low) and
       (SAR high, optical low); for a sample with one modality, its own
       (high, low). ``L_Con`` is the mean of the per-group losses.

    Loss dict: ``loss_spa`` and ``loss_fre`` (averaged over modalities
    weighted by their number of images), ``loss_con``; mmengine sums them,
    so the total is the weighted sum with each loss's ``loss_weight``.
    Per-modality values (``spa_opt``, ``fre_sar``, ...) are logged only.

    Args:
        backbone: RSvHeat config; give it every modality's stem
            (``in_channels=dict(opt=3, sar=1)``) and ``out_indices=(0, 1, 2,
            3)`` so that its checkpoint has every downstream key.
        neck: Decoder config (:class:`~.heads.RSvHeatReconDecoder`).
        masking: Masking config. Defaults to
            ``dict(type='FrequencyHierarchicalMasking')``.
        spatial_head: ``L_Spa`` head config; None disables it. Defaults to
            ``dict(type='SpatialReconstructionHead')``.
        frequency_head: ``L_Fre`` head config; None disables it. Defaults to
            ``dict(type='FrequencyReconstructionHead')``.
        contrastive_head: ``L_Con`` head config; None disables it (and the
            extra encoder passes). Defaults to None.
        contrast_index: Backbone output used for ``L_Con``. Defaults to -1
            (stage 4).
        pair_modalities: The two modalities that form a pair.
            Defaults to ('opt', 'sar').
        data_preprocessor: Defaults to
            ``dict(type='RSMultiModalDataPreprocessor')``.
        init_cfg: mmengine init config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 masking: Optional[dict] = None,
                 spatial_head: Optional[dict] = dict(
                     type='rsvheat_mm.SpatialReconstructionHead'),
                 frequency_head: Optional[dict] = dict(
                     type='rsvheat_mm.FrequencyReconstructionHead'),
                 contrastive_head: Optional[dict] = None,
                 contrast_index: int = -1,
                 pair_modalities: Sequence[str] = ('opt', 'sar'),
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='rsvheat_mm.RSMultiModalDataPreprocessor')
        super().__init__(backbone=backbone, neck=neck, head=None,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.masking = build_module(masking or dict(
            type='rsvheat_mm.FrequencyHierarchicalMasking'))
        self.spatial_head = build_module(spatial_head)
        self.frequency_head = build_module(frequency_head)
        self.contrastive_head = build_module(contrastive_head)
        if self.spatial_head is None and self.frequency_head is None \
                and self.contrastive_head is None:
            raise ValueError('RSvHeatPretrainer needs at least one of '
                             'spatial_head, frequency_head, contrastive_head')
        self.contrast_index = contrast_index
        if len(pair_modalities) != 2:
            raise ValueError(f'pair_modalities must name two modalities, '
                             f'got {pair_modalities!r}')
        self.pair_modalities = tuple(pair_modalities)

    # ------------------------------------------------------------ helpers
    def _as_dict(self, inputs: InputsT) -> Dict[str, Tensor]:
        if isinstance(inputs, dict):
            return inputs
        stems = list(getattr(self.backbone, 'in_channels', {}) or {})
        matches = [m for m in stems
                   if self.backbone.in_channels[m] == inputs.shape[1]]
        if len(matches) != 1:
            raise ValueError(
                f'Cannot tell the modality of a {inputs.shape[1]}-channel '
                f'tensor (stems {stems}); pass inputs as {{modality: '
                f'Tensor}}.')
        return {matches[0]: inputs}

    def extract_feat(self, inputs: InputsT):
        """Encoder features: a tuple, or ``{m: tuple}`` for a dict input."""
        if isinstance(inputs, dict):
            return {m: self.backbone(x, modality=m)
                    for m, x in inputs.items()}
        return self.backbone(inputs)

    def _encode(self, x: Tensor, modality: str
                ) -> Tuple[FrequencyMaskOutput, Tuple[Tensor, ...], int]:
        out = self.masking(x)
        views = [out.masked]
        if self.contrastive_head is not None:
            views += [out.low, out.high]
        feats = self.backbone(torch.cat(views), modality=modality)
        return out, feats, x.shape[0]

    @torch.no_grad()
    def reconstruct(self, inputs: InputsT
                    ) -> Dict[str, Tuple[FrequencyMaskOutput, Tensor]]:
        """Masking output and decoder reconstruction per modality.

        Args:
            inputs: Normalised images, ``{m: [B, C, H, W]}`` or a tensor.

        Returns:
            ``{m: (mask_output, reconstruction [B, C, H, W])}``.
        """
        result = {}
        for m, x in self._as_dict(inputs).items():
            out = self.masking(x)
            feats = self.backbone(out.masked, modality=m)
            result[m] = (out, self.neck(feats, modality=m,
                                        size=tuple(x.shape[-2:])))
        return result

    # ------------------------------------------------------------ loss
    def loss(self, inputs: InputsT, data_samples: Optional[List] = None
             ) -> Dict[str, Tensor]:
        """Losses of a batch (see the class docstring)."""
        inputs = self._as_dict(inputs)
        total = sum(x.shape[0] for x in inputs.values())
        losses: Dict[str, Tensor] = {}
        spa, fre = [], []
        proj: Dict[str, Tuple[Tensor, Tensor]] = {}
        for m, x in inputs.items():
            out, feats, b = self._encode(x, m)
            w = b / total
            if self.spatial_head is not None or \
                    self.frequency_head is not None:
                rec = self.neck([f[:b] for f in feats], modality=m,
                                size=tuple(x.shape[-2:]))
                if self.spatial_head is not None:
                    value = self.spatial_head.loss(rec, x)
                    spa.append(w * value)
                    losses[f'spa_{m}'] = value.detach()
                if self.frequency_head is not None:
                    value = self.frequency_head.loss(rec, x)
                    fre.append(w * value)
                    losses[f'fre_{m}'] = value.detach()
            if self.contrastive_head is not None:
                f = feats[self.contrast_index]
                head = self.contrastive_head
                proj[m] = (head.project(f[b:2 * b]),
                           head.project(f[2 * b:3 * b]))
        if spa:
            losses['loss_spa'] = sum(spa)
        if fre:
            losses['loss_fre'] = sum(fre)
        if self.contrastive_head is not None:
            losses['loss_con'] = self._contrastive(proj, data_samples)
        return losses

    def _contrastive(self, proj: Dict[str, Tuple[Tensor, Tensor]],
                     data_samples: Optional[List]) -> Tensor:
        """Mean contrastive loss over the positive-pair groups."""
        m1, m2 = self.pair_modalities
        rows = []
        if data_samples is not None:
            rows = [ds.metainfo.get('modality_rows', {})
                    for ds in data_samples]
        paired = [(r[m1], r[m2]) for r in rows if m1 in r and m2 in r]
        if not rows:  # no bookkeeping: every modality is unpaired
            rows = [{m: i} for m, (lo, _) in proj.items()
                    for i in range(lo.shape[0])]
        groups = []
        if paired and m1 in proj and m2 in proj:
            dev = proj[m1][0].device
            i1 = torch.tensor([p[0] for p in paired], device=dev)
            i2 = torch.tensor([p[1] for p in paired], device=dev)
            (lo1, hi1), (lo2, hi2) = proj[m1], proj[m2]
            groups.append((hi1[i1], lo2[i2]))
            groups.append((hi2[i2], lo1[i1]))
        for m, (lo, hi) in proj.items():
            single = [r[m] for r in rows
                      if m in r and not (m1 in r and m2 in r)]
            if single:
                idx = torch.tensor(single, device=lo.device)
                groups.append((hi[idx], lo[idx]))
        if not groups:
            any_proj = next(iter(proj.values()))[0]
            return any_proj.sum() * 0.
        return sum(self.contrastive_head.loss(a, b)
                   for a, b in groups) / len(groups)
