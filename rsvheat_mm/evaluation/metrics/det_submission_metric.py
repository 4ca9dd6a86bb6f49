"""A test-time "metric" that writes leaderboard files on full images.

Add it to ``test_evaluator`` (alone, or next to ``DOTAMetric`` /
``VOCMetric``); ``tools/det_submission.py`` does this for a config.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ...registry import METRICS, register
from ...utils.patch.merge import merge_by_image, to_tensor
from ..functional.submission import (write_dota_task1, write_fair1m_xml,
                         write_hbox_per_class, zip_files)

__all__ = ['DetSubmissionMetric']

_FORMATS = ('dota', 'dota_task2', 'fair1m', 'voc')


@register(METRICS, hosts=('mmdet', 'mmrotate'))
class DetSubmissionMetric(BaseMetric):
    """Merge tile predictions into full images and write submission files.

    Args:
        out_dir: Output folder; each format writes to ``out_dir/<format>``
            and a zip beside it. Required.
        formats: Any of ``'dota'`` (Task1 per-class txt, oriented),
            ``'dota_task2'`` (Task2, horizontal), ``'fair1m'`` (per-image
            XML) and ``'voc'`` (``comp4_det_test_<class>.txt``). Defaults to
            ``('dota', )``.
        merge_patches: Merge tiles (ids ``<image>__<size>__<x>___<y>``) to
            full images with class-wise (rotated) NMS. Defaults to True.
        iou_thr: NMS IoU threshold of the merge. Defaults to 0.1.
        score_thr: Drop detections below it. Defaults to 0.
        max_per_img: Keep at most this many per full image. Defaults to
            None (all).
        img_suffix: Image extension written in FAIR1M XML. Defaults to
            ``'.tif'``.
        collect_device: ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix: Metric prefix. Defaults to ``'submission'``.
    """

    default_prefix: Optional[str] = 'submission'

    def __init__(self, out_dir: str,
                 formats: Union[str, Sequence[str]] = ('dota', ),
                 merge_patches: bool = True, iou_thr: float = 0.1,
                 score_thr: float = 0., max_per_img: Optional[int] = None,
                 img_suffix: str = '.tif', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        formats = (formats, ) if isinstance(formats, str) else tuple(formats)
        bad = [f for f in formats if f not in _FORMATS]
        if bad or not formats:
            raise ValueError(f'formats={formats}: choose from {_FORMATS}')
        self.out_dir = out_dir
        self.formats = formats
        self.merge_patches = merge_patches
        self.iou_thr = iou_thr
        self.score_thr = score_thr
        self.max_per_img = max_per_img
        self.img_suffix = img_suffix

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the predictions of a batch (on CPU, as numpy)."""
        for sample in data_samples:
            pred = sample['pred_instances']
            img_id = sample.get('img_id')
            if img_id is None or not isinstance(img_id, str):
                img_id = osp.splitext(osp.basename(sample['img_path']))[0]
            self.results.append(dict(
                img_id=img_id,
                bboxes=to_tensor(pred['bboxes']).numpy(),
                scores=to_tensor(pred['scores']).numpy(),
                labels=to_tensor(pred['labels']).numpy().astype(np.int64)))

    def merged(self, results: List[dict]) -> 'OrderedDict[str, Dict]':
        """Full-image detections ``{image: dict(bboxes, scores, labels)}``."""
        if self.merge_patches:
            return merge_by_image(results, self.iou_thr, self.max_per_img,
                                  self.score_thr)
        out = OrderedDict()
        for r in results:
            keep = r['scores'] >= self.score_thr
            out[r['img_id']] = {k: r[k][keep]
                                for k in ('bboxes', 'scores', 'labels')}
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the files; returns image and detection counts."""
        logger = MMLogger.get_current_instance()
        classes = self.dataset_meta['classes']
        dets = self.merged(results)
        writers = dict(
            dota=lambda d: write_dota_task1(dets, classes, d),
            dota_task2=lambda d: write_hbox_per_class(dets, classes, d,
                                                      prefix='Task2_'),
            voc=lambda d: write_hbox_per_class(dets, classes, d),
            fair1m=lambda d: write_fair1m_xml(dets, classes, d,
                                              self.img_suffix))
        for fmt in self.formats:
            folder = osp.join(self.out_dir, fmt)
            paths = writers[fmt](folder)
            zip_path = zip_files(paths, folder + '.zip',
                                 'test' if fmt == 'fair1m' else '')
            logger.info(f'{fmt} submission: {len(paths)} files in {folder}, '
                        f'zipped to {zip_path}')
        num = sum(len(d['scores']) for d in dets.values())
        return dict(num_images=float(len(dets)), num_dets=float(num))
