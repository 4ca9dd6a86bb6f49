"""RS-DFM collaborative BEV model (mmengine ``BaseModel``).

Per platform: RSvHeat encoder (shared weights) -> 2-level neck -> ground-prior
view transformer (relative depth) -> BEV map. Exchange: every platform except
the receiver (index 0, the ego) sends its map through the frequency-decoupled
codec. Fusion: pose-aligned, confidence-weighted. Then a small BEV trunk and
the segmentation and detection heads.

``mode='single'`` is the single-platform baseline: no exchange; in training
one random present platform per sample is the only input, in testing the
main prediction is platform 0 alone. In both modes ``test_single=True`` adds
each present platform's own prediction (``pred_bev_seg_agents``), from which
:class:`~.metrics.BEVSegIoUMetric` takes the best single platform per scene.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from ...registry import MODELS, register
from .fusion import se2_noise

__all__ = ['CollabBEVModel', 'ImageNeck']


class ImageNeck(nn.Module):
    """Fuse the stride-4 and (upsampled) stride-8 encoder maps.

    Args:
        in_channels: Channels of the two maps.
        out_channels: Output channels.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__()
        self.lat = nn.ModuleList(
            [nn.Conv2d(c, out_channels, 1) for c in in_channels])
        self.out = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.GroupNorm(1, out_channels), nn.ReLU(inplace=True))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        x = self.lat[0](feats[0])
        for lat, f in zip(self.lat[1:], feats[1:]):
            x = x + nn.functional.interpolate(
                lat(f), size=x.shape[-2:], mode='bilinear',
                align_corners=False)
        return self.out(x)


def _stack(value: Union[Tensor, Sequence[Tensor]]) -> Tensor:
    return value if isinstance(value, Tensor) else torch.stack(list(value))


@register(MODELS)
class CollabBEVModel(BaseModel):
    """Collaborative (or single-platform) multi-UAV BEV perception.

    Args:
        backbone: Encoder config (``RSvHeat``); ``out_indices`` must give
            the stride-4 and stride-8 maps. Defaults to a tiny RSvHeat
            (embed_dims 16, depths [1, 1, 1, 1], out_indices (0, 1)).
        view_transformer: :class:`GroundPriorViewTransformer` kwargs
            (``in_channels`` is filled in). Defaults to its defaults.
        codec: :class:`FreqDecoupledCodec` config, or None (send raw maps).
            Defaults to None.
        fusion: :class:`ConfidenceFusion` kwargs (``channels`` is filled
            in). Defaults to ``dict()``.
        seg_head: :class:`BEVSegHead` kwargs. Defaults to ``dict()``.
        det_head: :class:`BEVCenterHead` kwargs (``bev_grid`` defaults to
            the view transformer's), or None to skip detection.
            Defaults to ``dict()``.
        neck_channels: Channels of the image neck. Defaults to 32.
        mode: ``'collab'`` or ``'single'``. Defaults to 'collab'.
        loss_height: Weight of the height-bin cross-entropy (supervised by
            the per-pixel heights of the data). Defaults to 0.5.
        agent_dropout: Training probability of dropping each non-ego
            platform (collab mode). Defaults to 0.0.
        pose_noise: ``(sigma_t m, sigma_yaw deg)`` SE(2) error applied to the
            received maps (training and testing). Defaults to (0, 0).
        test_single: Also predict every platform alone. Defaults to True.
        data_preprocessor: mmengine data preprocessor config.
            Defaults to None (``BaseDataPreprocessor``).
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 view_transformer: Optional[dict] = None,
                 codec: Optional[dict] = None,
                 fusion: Optional[dict] = None,
                 seg_head: Optional[dict] = None,
                 det_head: Optional[dict] = dict(),
                 neck_channels: int = 32,
                 mode: str = 'collab',
                 loss_height: float = 0.5,
                 agent_dropout: float = 0.0,
                 pose_noise: Tuple[float, float] = (0.0, 0.0),
                 test_single: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if mode not in ('collab', 'single'):
            raise ValueError(f"CollabBEVModel.mode={mode!r}: choose 'collab' "
                             f"or 'single'.")
        self.mode = mode
        backbone = backbone or dict(
            type='RSvHeat', arch=dict(embed_dims=16, depths=[1, 1, 1, 1]),
            out_indices=(0, 1), img_size=64)
        self.backbone = MODELS.build(backbone)
        chans = list(self.backbone.out_channels)[:2]
        self.neck = ImageNeck(chans, neck_channels)
        vt = dict(view_transformer or {})
        vt.setdefault('type', 'GroundPriorViewTransformer')
        vt['in_channels'] = neck_channels
        self.view_transformer = MODELS.build(vt)
        c = self.view_transformer.out_channels
        grid = self.view_transformer.grid
        self.codec = None if codec is None else MODELS.build(
            dict(dict(type='FreqDecoupledCodec'), **codec))
        self.fusion = MODELS.build(
            dict(dict(type='ConfidenceFusion'), **(fusion or {}),
                 channels=c))
        self.trunk = nn.Sequential(
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.GroupNorm(1, 2 * c),
            nn.ReLU(inplace=True), nn.Conv2d(2 * c, 2 * c, 3, padding=1),
            nn.GroupNorm(1, 2 * c), nn.ReLU(inplace=True))
        self.seg_head = MODELS.build(
            dict(dict(type='BEVSegHead'), **(seg_head or {}),
                 in_channels=2 * c))
        if det_head is None:
            self.det_head = None
        else:
            det = dict(dict(type='BEVCenterHead'), **det_head,
                       in_channels=2 * c)
            det.setdefault('bev_grid', dict(x_range=grid.x_range,
                                            y_range=grid.y_range,
                                            resolution=grid.resolution))
            self.det_head = MODELS.build(det)
        self.loss_height = loss_height
        self.agent_dropout = agent_dropout
        self.pose_noise = tuple(float(p) for p in pose_noise)
        self.test_single = test_single
        #: restrict testing to these platform indices (None = all present)
        self.test_agents: Optional[Sequence[int]] = None

    # ------------------------------------------------------------- inputs
    def _unpack(self, inputs: Dict) -> Dict[str, Tensor]:
        need = ('imgs', 'cam2img', 'cam2world', 'agent_mask')
        missing = [k for k in need if k not in inputs]
        if missing:
            raise KeyError(f'CollabBEVModel: inputs lack {missing}; use '
                           f'MultiUAVBEVDataset (keys {need}).')
        out = {k: _stack(inputs[k]) for k in need}
        if 'height' in inputs:
            out['height'] = _stack(inputs['height'])
        b, n = out['imgs'].shape[:2]
        for k in need[1:]:
            if out[k].shape[:2] != (b, n):
                raise ValueError(
                    f'CollabBEVModel: mismatched platform counts: imgs has '
                    f'[B, N] = {(b, n)} but {k} has '
                    f'{tuple(out[k].shape[:2])}. Every per-platform input '
                    f'must be padded to the same N (MultiUAVBEVDataset '
                    f'max_agents) with agent_mask False on padding.')
        out['agent_mask'] = out['agent_mask'].bool()
        if not bool(out['agent_mask'][:, 0].all()):
            raise ValueError('CollabBEVModel: platform 0 (the receiver) must '
                             'be present in every sample (agent_mask[:, 0]).')
        return out

    def _select_agents(self, mask: Tensor) -> Tensor:
        mask = mask.clone()
        if self.training and self.mode == 'single':
            rnd = torch.rand(mask.shape, device=mask.device)
            rnd = rnd.masked_fill(~mask, -1.0)
            pick = rnd.argmax(1)
            mask = torch.zeros_like(mask)
            mask[torch.arange(len(mask)), pick] = True
        elif self.training and self.agent_dropout > 0:
            drop = torch.rand(mask.shape, device=mask.device) < \
                self.agent_dropout
            drop[:, 0] = False
            mask &= ~drop
        elif not self.training and self.test_agents is not None:
            keep = torch.zeros_like(mask)
            keep[:, list(self.test_agents)] = True
            mask &= keep
        if not self.training and self.mode == 'single':
            mask[:, 1:] = False
        return mask

    # ------------------------------------------------------------ network
    def extract_bev(self, data: Dict[str, Tensor], mask: Tensor
                    ) -> Dict[str, Tensor]:
        """Per-platform BEV maps [B, N, C, Hb, Wb] (zero where absent)."""
        imgs = data['imgs']
        b, n, _, h, w = imgs.shape
        sel = mask.flatten()
        x = imgs.flatten(0, 1)[sel].float()
        x = (x / 255.0 - 0.5) / 0.25
        feats = self.neck(self.backbone(x)[:2])
        vt = self.view_transformer(feats, data['cam2img'].flatten(0, 1)[sel],
                                   data['cam2world'].flatten(0, 1)[sel],
                                   (h, w))
        bev = vt['bev'].new_zeros((b * n, ) + vt['bev'].shape[1:])
        bev[sel] = vt['bev']
        cov = vt['coverage'].new_zeros((b * n, ) + vt['coverage'].shape[1:])
        cov[sel] = vt['coverage']
        return dict(bev=bev.view((b, n) + bev.shape[1:]),
                    coverage=cov.view((b, n) + cov.shape[1:]),
                    bin_logits=vt['bin_logits'], sel=sel)

    def exchange(self, bev: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        """Compress every sending platform's map; bytes per platform [B, N].

        The receiver (index 0) keeps its own map and sends nothing; absent
        platforms send nothing.
        """
        b, n = bev.shape[:2]
        sent = torch.zeros(b, n, dtype=torch.long)
        if self.mode == 'single' or n == 1:
            return bev, sent
        senders = mask.clone()
        senders[:, 0] = False
        if not bool(senders.any()):
            return bev, sent
        flat = bev.flatten(0, 1)
        idx = senders.flatten()
        if self.codec is None:
            nbytes = 4 * flat[0].numel()
        else:
            dec, plan = self.codec(flat[idx])
            nbytes = plan.total
            flat = flat.clone()
            flat[idx] = dec
        sent.view(-1)[idx.cpu()] = nbytes
        return flat.view(bev.shape), sent

    def fuse_and_decode(self, bev: Tensor, cov: Tensor, mask: Tensor
                        ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Fusion, BEV trunk and heads."""
        poses = None
        if self.mode == 'collab' and any(self.pose_noise):
            poses = se2_noise(bev.shape[:2], *self.pose_noise,
                              device=bev.device).to(bev)
            poses[:, 0] = 0
        fused, _ = self.fusion(bev, cov, mask, poses=poses,
                               grid=self.view_transformer.grid)
        x = self.trunk(fused)
        det = self.det_head(x) if self.det_head is not None else None
        return self.seg_head(x), det

    def _run(self, inputs: Dict) -> Dict:
        data = self._unpack(inputs)
        mask = self._select_agents(data['agent_mask'])
        bevs = self.extract_bev(data, mask)
        bev, sent = self.exchange(bevs['bev'], mask)
        seg, det = self.fuse_and_decode(bev, bevs['coverage'], mask)
        return dict(data=data, mask=mask, bevs=bevs, seg=seg, det=det,
                    sent=sent)

    # ---------------------------------------------------------- BaseModel
    def forward(self, inputs: Dict,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """mmengine entry point (``'loss'``, ``'predict'`` or ``'tensor'``)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            out = self._run(inputs)
            return out['seg'], out['det']
        raise ValueError(f'CollabBEVModel.forward: unknown mode {mode!r} '
                         f"(use 'loss', 'predict' or 'tensor').")

    def loss(self, inputs: Dict,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Segmentation, detection and height-bin losses."""
        out = self._run(inputs)
        gt_seg = torch.stack([ds.gt_bev_seg for ds in data_samples]).to(
            out['seg'].device)
        losses = self.seg_head.loss(out['seg'], gt_seg)
        if self.det_head is not None:
            losses.update(self.det_head.loss(
                out['det'], [ds.gt_boxes for ds in data_samples],
                [ds.gt_labels for ds in data_samples]))
        if self.loss_height > 0 and 'height' in out['data']:
            logits = out['bevs']['bin_logits']
            height = out['data']['height'].flatten(0, 1)[out['bevs']['sel']]
            target = self.view_transformer.bin_targets(
                height.to(logits.device), logits.shape[-2:])
            losses['loss_height'] = self.loss_height * \
                nn.functional.cross_entropy(logits, target, ignore_index=-1)
        return losses

    def predict(self, inputs: Dict,
                data_samples: Optional[List[BaseDataElement]] = None
                ) -> List[BaseDataElement]:
        """Fill ``pred_bev_seg``, ``pred_det``, ``bytes_sent`` (and
        ``pred_bev_seg_agents`` with ``test_single``) per sample."""
        out = self._run(inputs)
        seg = self.seg_head.predict(out['seg'])
        dets = self.det_head.predict(out['det']) if self.det_head else None
        b, n = out['mask'].shape
        agents = None
        if self.test_single:
            agents = self._single_predictions(out)
        results = []
        for i in range(b):
            ds = data_samples[i] if data_samples is not None else \
                BaseDataElement()
            ds.pred_bev_seg = seg[i].cpu()
            if dets is not None:
                ds.pred_det = {k: v.cpu() for k, v in dets[i].items()}
            ds.bytes_sent = out['sent'][i][out['mask'][i].cpu()].tolist()
            ds.agents_used = out['mask'][i].cpu()
            if agents is not None:
                ds.pred_bev_seg_agents = agents[i]
            results.append(ds)
        return results

    def _single_predictions(self, out: Dict) -> List[Tensor]:
        """Each present platform alone (no exchange) -> [N_i, Hb, Wb]."""
        present = out['data']['agent_mask']
        if self.test_agents is not None:
            keep = torch.zeros_like(present)
            keep[:, list(self.test_agents)] = True
            present = present & keep
        if torch.equal(present, out['mask']):
            bev, cov = out['bevs']['bev'], out['bevs']['coverage']
        else:
            bevs = self.extract_bev(out['data'], present)
            bev, cov = bevs['bev'], bevs['coverage']
        b, n = present.shape
        sel = present.flatten()
        one = torch.ones(int(sel.sum()), 1, dtype=torch.bool,
                         device=bev.device)
        fused, _ = self.fusion(bev.flatten(0, 1)[sel][:, None],
                               cov.flatten(0, 1)[sel][:, None], one)
        labels = self.seg_head.predict(self.seg_head(self.trunk(fused)))
        full = labels.new_full((b * n, ) + labels.shape[1:], -1)
        full[sel] = labels
        full = full.view((b, n) + labels.shape[1:]).cpu()
        return [full[i][present[i].cpu()] for i in range(b)]
