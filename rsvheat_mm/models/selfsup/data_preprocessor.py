"""Data preprocessor for optical, SAR and paired optical+SAR batches."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from ...registry import MODELS, register

__all__ = ['RSMultiModalDataPreprocessor']

#: ImageNet RGB statistics (images are loaded as RGB)
OPT_MEAN = (123.675, 116.28, 103.53)
OPT_STD = (58.395, 57.12, 57.375)


@register(MODELS, hosts=('mmpretrain', ))
class RSMultiModalDataPreprocessor(BaseDataPreprocessor):
    """Group a batch by modality, scale and normalise each modality.

    Accepts the output of ``pseudo_collate`` (every sample with the same
    modalities: ``inputs = {m: [Tensor, ...]}``) or of
    ``multimodal_collate`` (``inputs = [{m: Tensor}, ...]``). Returns
    ``inputs = {m: Tensor[B_m, C_m, H, W]}`` (float32, on the model's
    device) and records in every data sample ``modality_rows = {m: row}``:
    the sample's row in each modality's tensor. A sample with both ``opt``
    and ``sar`` is a pair.

    Per modality: optional ``transform`` (``'log1p'``: ``log(1 + max(x, 0))``
    for SAR amplitude/intensity, or None), then normalisation with
    ``mean`` / ``std`` (one value per band), or ``'per_image'``
    (zero mean, unit std per image and band).

    Args:
        channels: Bands per modality; other counts raise.
            Defaults to ``dict(opt=3, sar=1)``.
        mean: Per-modality means or ``'per_image'``. Defaults to ImageNet
            RGB means for ``opt`` and ``'per_image'`` for ``sar``.
        std: Per-modality stds (ignored for ``'per_image'``). Defaults to
            ImageNet RGB stds for ``opt``.
        transform: Per-modality value transform before normalisation.
            Defaults to ``dict(sar='log1p')``.
        eps: Floor of the per-image std. Defaults to 1e-6.
    """

    def __init__(self,
                 channels: Optional[Dict[str, int]] = None,
                 mean: Optional[Dict[str, Union[str, Sequence[float]]]] = None,
                 std: Optional[Dict[str, Sequence[float]]] = None,
                 transform: Optional[Dict[str, Optional[str]]] = None,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.channels = dict(opt=3, sar=1) if channels is None \
            else dict(channels)
        mean = dict(opt=OPT_MEAN, sar='per_image') if mean is None \
            else dict(mean)
        std = dict(opt=OPT_STD) if std is None else dict(std)
        self.transforms = dict(sar='log1p') if transform is None \
            else dict(transform)
        self.eps = float(eps)
        self.per_image = set()
        for m, c in self.channels.items():
            mu = mean.get(m, 'per_image')
            if isinstance(mu, str):
                if mu != 'per_image':
                    raise ValueError(f'mean[{m!r}]={mu!r}: use a list of '
                                     f'{c} values or "per_image"')
                self.per_image.add(m)
                continue
            sd = std.get(m)
            if sd is None or len(mu) != c or len(sd) != c:
                raise ValueError(
                    f'mean/std of modality {m!r} need {c} value(s) each '
                    f'(channels[{m!r}]={c}); got mean={mu!r}, std={sd!r}')
            self.register_buffer(f'mean_{m}', torch.tensor(
                mu, dtype=torch.float32).view(-1, 1, 1), persistent=False)
            self.register_buffer(f'std_{m}', torch.tensor(
                sd, dtype=torch.float32).view(-1, 1, 1), persistent=False)
        for m, t in self.transforms.items():
            if t not in (None, 'log1p'):
                raise ValueError(f'transform[{m!r}]={t!r}: use "log1p" or '
                                 f'None')

    @staticmethod
    def _samples(inputs) -> List[Dict[str, Tensor]]:
        if isinstance(inputs, dict):  # pseudo_collate: {m: [tensors]}
            lengths = {len(v) for v in inputs.values()}
            if len(lengths) != 1:
                raise ValueError('Batch inputs have different lengths per '
                                 'modality; use collate_fn='
                                 'dict(type="multimodal_collate").')
            n = lengths.pop()
            return [{m: v[i] for m, v in inputs.items()} for i in range(n)]
        if isinstance(inputs, (list, tuple)) and all(
                isinstance(s, dict) for s in inputs):
            return list(inputs)
        raise TypeError(
            'RSMultiModalDataPreprocessor expects inputs as {modality: '
            '[Tensor]} or [{modality: Tensor}] (PackMultiModalInputs + '
            f'pseudo_collate / multimodal_collate), got {type(inputs)}.')

    def normalize(self, x: Tensor, modality: str) -> Tensor:
        """Scale and normalise a float batch [B, C, H, W] of ``modality``."""
        if self.transforms.get(modality) == 'log1p':
            x = torch.log1p(x.clamp_min(0))
        if modality in self.per_image:
            mu = x.mean(dim=(2, 3), keepdim=True)
            sd = x.std(dim=(2, 3), keepdim=True).clamp_min(self.eps)
            return (x - mu) / sd
        return (x - getattr(self, f'mean_{modality}')) / getattr(
            self, f'std_{modality}')

    def forward(self, data: dict, training: bool = False) -> dict:
        """Group, move to the device, scale and normalise a batch."""
        samples = self._samples(data['inputs'])
        data_samples = data.get('data_samples')
        if data_samples is None or any(d is None for d in data_samples):
            from mmpretrain.structures import DataSample
            data_samples = [DataSample() for _ in samples]
        rows: Dict[str, List[Tensor]] = {}
        for sample, ds in zip(samples, data_samples):
            where = {}
            for m, img in sample.items():
                if m not in self.channels:
                    raise ValueError(
                        f'Modality {m!r} is not configured in the data '
                        f'preprocessor (channels={self.channels}); add it.')
                if img.ndim != 3 or img.shape[0] != self.channels[m]:
                    raise ValueError(
                        f'{ds.metainfo.get("img_path", "a sample")}: '
                        f'modality {m!r} needs {self.channels[m]} band(s), '
                        f'got a tensor of shape {tuple(img.shape)}. Is a '
                        f'SAR image in an optical folder (or vice versa)?')
                where[m] = len(rows.setdefault(m, []))
                rows[m].append(img)
            ds.set_metainfo(dict(modality_rows=where))
        inputs = {}
        for m, imgs in rows.items():
            sizes = {tuple(i.shape[-2:]) for i in imgs}
            if len(sizes) > 1:
                raise ValueError(
                    f'Images of modality {m!r} in one batch have different '
                    f'sizes {sorted(sizes)}; add a crop/resize transform '
                    f'(e.g. MultiModalRandomResizedCrop) to the pipeline.')
            x = torch.stack(imgs).to(self._device, non_blocking=True).float()
            inputs[m] = self.normalize(x, m)
        return dict(inputs=inputs, data_samples=list(data_samples))
