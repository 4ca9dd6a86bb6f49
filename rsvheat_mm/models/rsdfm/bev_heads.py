"""BEV task heads: semantic segmentation and centre-based object detection.

Both run on the fused BEV map of the receiving platform. The detection head
is CenterPoint-lite in BEV: a per-class centre heat map (Gaussian targets,
focal loss) and, at centre cells, a regression of the sub-cell offset, the
log length and width and (sin, cos) of the yaw (L1). Decoding uses a 3x3
max-pool peak picking in plain torch (CPU safe, no mmcv ops).
"""
import math
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import MODELS, register
from ...structures.bev_geometry import BEVGrid

__all__ = ['BEVSegHead', 'BEVCenterHead', 'dice_loss', 'centre_focal_loss']


def _conv_block(cin: int, cout: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1),
                         nn.ReLU(inplace=True), nn.Conv2d(hidden, cout, 1))


def dice_loss(logits: Tensor, target: Tensor, num_classes: int,
              eps: float = 1.0) -> Tensor:
    """Soft Dice loss averaged over the foreground classes (1..K-1)."""
    prob = logits.softmax(1)[:, 1:]
    onehot = F.one_hot(target.clamp(min=0), num_classes).permute(
        0, 3, 1, 2)[:, 1:].to(prob)
    inter = (prob * onehot).sum((0, 2, 3))
    denom = prob.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    return (1 - (2 * inter + eps) / (denom + eps)).mean()


def centre_focal_loss(pred: Tensor, target: Tensor, alpha: float = 2.0,
                      beta: float = 4.0) -> Tensor:
    """CenterNet focal loss on sigmoid heat maps, normalised by #centres."""
    pred = pred.clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).to(pred)
    neg = 1 - pos
    pos_loss = -torch.log(pred) * (1 - pred)**alpha * pos
    neg_loss = -torch.log(1 - pred) * pred**alpha * (1 - target)**beta * neg
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


@register(MODELS)
class BEVSegHead(nn.Module):
    """BEV semantic segmentation (cross-entropy + Dice).

    Args:
        in_channels: Channels of the BEV map.
        num_classes: Classes including background 0. Defaults to 3.
        hidden: Hidden channels. Defaults to 32.
        loss_ce: Weight of cross-entropy. Defaults to 1.0.
        loss_dice: Weight of the Dice loss. Defaults to 1.0.
        class_weight: Optional CE class weights. Defaults to None.
    """

    def __init__(self, in_channels: int, num_classes: int = 3,
                 hidden: int = 32, loss_ce: float = 1.0,
                 loss_dice: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.net = _conv_block(in_channels, num_classes, hidden)
        self.loss_ce, self.loss_dice = loss_ce, loss_dice
        self.class_weight = None if class_weight is None else \
            list(class_weight)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits [B, K, H, W]."""
        return self.net(x)

    def loss(self, logits: Tensor, target: Tensor) -> Dict[str, Tensor]:
        """Losses against integer labels [B, H, W]."""
        weight = None if self.class_weight is None else logits.new_tensor(
            self.class_weight)
        return dict(
            loss_seg_ce=self.loss_ce * F.cross_entropy(
                logits, target.long(), weight=weight),
            loss_seg_dice=self.loss_dice * dice_loss(
                logits, target.long(), self.num_classes))

    @staticmethod
    def predict(logits: Tensor) -> Tensor:
        """Label map [B, H, W]."""
        return logits.argmax(1)


@register(MODELS)
class BEVCenterHead(nn.Module):
    """Centre heat map + box regression detector in BEV.

    Args:
        in_channels: Channels of the BEV map.
        bev_grid: ``dict(x_range, y_range, resolution)``; must be the grid of
            the BEV map. Defaults to 32 x 32 cells of 2 m.
        classes: Dataset label ids to detect (each gets a heat map channel).
            Defaults to (0, ) (vehicles in the generated data).
        hidden: Hidden channels. Defaults to 32.
        sigma: Gaussian radius of the heat map targets in cells.
            Defaults to 1.0.
        loss_heat: Weight of the focal loss. Defaults to 1.0.
        loss_reg: Weight of the L1 regression loss. Defaults to 1.0.
        max_dets: Detections kept per sample. Defaults to 50.
        score_thr: Minimum score of a kept detection. Defaults to 0.05.
    """

    def __init__(self, in_channels: int, bev_grid: Optional[Dict] = None,
                 classes: Sequence[int] = (0, ), hidden: int = 32,
                 sigma: float = 1.0, loss_heat: float = 1.0,
                 loss_reg: float = 1.0, max_dets: int = 50,
                 score_thr: float = 0.05) -> None:
        super().__init__()
        self.grid = BEVGrid(**(bev_grid or {}))
        self.classes = tuple(int(c) for c in classes)
        self.heat = _conv_block(in_channels, len(self.classes), hidden)
        nn.init.constant_(self.heat[-1].bias, -2.19)
        self.reg = _conv_block(in_channels, 6, hidden)
        self.sigma = sigma
        self.loss_heat, self.loss_reg = loss_heat, loss_reg
        self.max_dets, self.score_thr = max_dets, score_thr

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        """``heat`` logits [B, K, H, W] and ``reg`` [B, 6, H, W]."""
        return dict(heat=self.heat(x), reg=self.reg(x))

    def targets(self, boxes: Sequence[Tensor], labels: Sequence[Tensor],
                ref: Tensor) -> Dict[str, Tensor]:
        """Heat maps, regression targets and centre masks of a batch."""
        b = len(boxes)
        gh, gw = self.grid.shape
        res, x0, y0 = self.grid.resolution, self.grid.x_range[0], \
            self.grid.y_range[0]
        heat = ref.new_zeros(b, len(self.classes), gh, gw)
        reg = ref.new_zeros(b, 6, gh, gw)
        mask = ref.new_zeros(b, 1, gh, gw)
        rows = torch.arange(gh, device=ref.device, dtype=ref.dtype)[:, None]
        cols = torch.arange(gw, device=ref.device, dtype=ref.dtype)[None]
        for i in range(b):
            for box, lab in zip(boxes[i].to(ref), labels[i].tolist()):
                if lab not in self.classes:
                    continue
                cx, cy = (box[0] - x0) / res, (box[1] - y0) / res
                col, row = int(math.floor(cx)), int(math.floor(cy))
                if not (0 <= col < gw and 0 <= row < gh):
                    continue
                k = self.classes.index(lab)
                g = torch.exp(-((rows - row)**2 + (cols - col)**2) /
                              (2 * self.sigma**2))
                heat[i, k] = torch.maximum(heat[i, k], g)
                reg[i, :, row, col] = torch.stack([
                    cx - col, cy - row,
                    torch.log(box[3]), torch.log(box[4]),
                    torch.sin(box[6]), torch.cos(box[6])])
                mask[i, 0, row, col] = 1
        return dict(heat=heat, reg=reg, mask=mask)

    def loss(self, out: Dict[str, Tensor], boxes: Sequence[Tensor],
             labels: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Focal + L1 losses against GT boxes [M, 7] and labels [M]."""
        tgt = self.targets(boxes, labels, out['heat'])
        heat = out['heat'].float().sigmoid()
        l1 = (F.l1_loss(out['reg'], tgt['reg'], reduction='none') *
              tgt['mask']).sum() / tgt['mask'].sum().clamp(min=1)
        return dict(loss_heat=self.loss_heat * centre_focal_loss(
            heat, tgt['heat']), loss_reg=self.loss_reg * l1)

    def predict(self, out: Dict[str, Tensor]) -> List[Dict[str, Tensor]]:
        """Decode boxes per sample: ``boxes`` [K, 5] (x, y, l, w, yaw),
        ``scores`` [K], ``labels`` [K] (dataset label ids)."""
        heat = out['heat'].sigmoid()
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat)
        b, k, gh, gw = heat.shape
        res, x0, y0 = self.grid.resolution, self.grid.x_range[0], \
            self.grid.y_range[0]
        results = []
        for i in range(b):
            flat = peaks[i].flatten()
            n = min(self.max_dets, flat.numel())
            scores, idx = flat.topk(n)
            keep = scores >= self.score_thr
            scores, idx = scores[keep], idx[keep]
            cls = idx // (gh * gw)
            cell = idx % (gh * gw)
            row, col = cell // gw, cell % gw
            r = out['reg'][i][:, row, col]  # [6, K]
            x = x0 + (col.to(r) + r[0]) * res
            y = y0 + (row.to(r) + r[1]) * res
            yaw = torch.atan2(r[4], r[5])
            boxes = torch.stack([x, y, r[2].exp(), r[3].exp(), yaw], -1)
            labels = torch.tensor(self.classes, device=idx.device)[cls]
            results.append(dict(boxes=boxes.detach(), scores=scores.detach(),
                                labels=labels))
        return results
