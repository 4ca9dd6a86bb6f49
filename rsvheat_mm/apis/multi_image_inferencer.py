"""mmseg's inferencer for configs whose samples are several images.

``MMSegInferencer`` looks for a ``LoadImageFromFile`` step and feeds it one
path or one array per input. Change detection (two dates), AIR-PolSAR-Seg
(four polarisation files stacked) and WHU-OPT-SAR (optical + SAR) load a
sample with ``LoadMultiImageFromFiles`` instead, so mmseg's inferencer
refuses them. :class:`MultiImageSegInferencer` is the same inferencer (same
call, same ``predictions`` / ``visualization`` / ``pred_out_dir`` /
``out_dir`` outputs) for those configs; an input sample is a tuple with one
entry per image of the config (paths or arrays), a list is several samples::

    from rsvheat_mm.apis import MultiImageSegInferencer
    inf = MultiImageSegInferencer(
        'configs/changedet/siamese-upernet_rsvheat-b_4xb4-40k_'
        'levir-cd-256x256.py', 'cd.pth', device='cuda:0')
    res = inf(('A/test_1.png', 'B/test_1.png'), out_dir='outputs')
    res = inf([('A/1.png', 'B/1.png'), ('A/2.png', 'B/2.png')])

mmseg's ``init_model`` + ``inference_model`` work on these configs as they
are: give one sample as ``inference_model(model, [(first, second)])``.
For whole GeoTIFF scenes use :func:`~rsvheat_mm.apis.build_scene_inferencer`.

Importing this module imports mmseg.
"""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import Compose
from mmseg.apis import MMSegInferencer

from ..datasets.transforms.loading import load_image
from .raster_io import display_rgb

__all__ = ['MultiImageSegInferencer']

_LOADER = 'LoadMultiImageFromFiles'
_LABEL_STEPS = ('LoadAnnotations', 'LoadMappedAnnotations',
                'LoadDepthAnnotation')


def _short(name) -> str:
    return str(name).split('.')[-1]


def _copy_sample(results: dict) -> dict:
    return dict(results)


class MultiImageSegInferencer(MMSegInferencer):
    """``MMSegInferencer`` for configs that load a sample with
    ``LoadMultiImageFromFiles`` (change detection, PolSAR, optical + SAR).

    Args:
        model, weights, classes, palette, dataset_name, device, scope: As
            ``MMSegInferencer``: a config (path or ``Config``) or a model
            name, a checkpoint (None: random weights, with a warning), the
            class names and palette (default: the checkpoint's, else the
            config dataset's), the device (default: cuda if available) and
            the registry scope. Defaults to None, None, None, None, None,
            None and ``'mmseg'``.

    An input sample is a tuple with one entry per image the config's loader
    reads (its ``path_keys``: 2 for change detection and optical + SAR; 1
    for PolSAR, whose entry is itself the list of polarisation files), each
    a path or an ``[H, W(, C)]`` array in the file's band order; a dict of
    the loader's keys is taken as it is. A list is a batch of samples. The
    visualisation draws the prediction on the sample's first image (date 1,
    the optical image, the stacked polarisations), percentile-stretched
    when it is not 8-bit RGB, and is named after that file (``NNNNNNNN_vis
    .jpg`` for arrays).
    """

    def _init_pipeline(self, cfg) -> Compose:
        steps = [t for t in cfg.test_dataloader.dataset.pipeline
                 if _short(t['type']) not in _LABEL_STEPS]
        loaders = [t for t in steps if _short(t['type']) == _LOADER]
        if not loaders:
            raise ValueError(
                f'MultiImageSegInferencer: the test pipeline has no {_LOADER}'
                f' (steps: {[t["type"] for t in steps]}). For a config that '
                f'reads one image per sample use mmseg.apis.MMSegInferencer.')
        self._path_keys = list(loaders[0].get('path_keys',
                                              ('img_path', 'img_path2')))
        # the pipeline fills its input dict; visualize() needs it as given
        return Compose([_copy_sample] + steps)

    def _sample(self, item) -> dict:
        if isinstance(item, dict):
            return item
        keys = self._path_keys
        if len(keys) == 1:
            return {keys[0]: item}
        if not isinstance(item, (list, tuple)) or len(item) != len(keys):
            raise ValueError(
                f'MultiImageSegInferencer: a sample of this config is a tuple '
                f'of {len(keys)} images ({", ".join(keys)}), got '
                f'{type(item).__name__}'
                f'{" of " + str(len(item)) if isinstance(item, (list, tuple)) else ""}'
                f'. Call it as inf(({", ".join(keys)})) or with a list of '
                f'such tuples.')
        return dict(zip(keys, item))

    def _inputs_to_list(self, inputs) -> list:
        """A tuple (or dict, or a single-key config's path / array) is one
        sample; a list is several."""
        one = isinstance(inputs, (tuple, dict, np.ndarray, str)) or (
            len(self._path_keys) == 1 and isinstance(inputs, list) and
            inputs and not isinstance(inputs[0], (list, tuple, dict)))
        items = [inputs] if one else list(inputs)
        return [self._sample(item) for item in items]

    def _first_image(self, sample: dict):
        src = sample[self._path_keys[0]]
        img = load_image(src, 'unchanged')  # a list: the band files
        first = src[0] if isinstance(src, (list, tuple)) else src
        if isinstance(first, np.ndarray):
            name = str(self.num_visualized_imgs).zfill(8) + '_vis.jpg'
        else:
            name = osp.basename(str(first))
        return display_rgb(img, stretch_uint8=False), name

    def visualize(self, inputs: list, preds: List, return_vis: bool = False,
                  show: bool = False, wait_time: int = 0,
                  img_out_dir: str = '', opacity: float = 0.8,
                  with_labels: Optional[bool] = True) -> Optional[Sequence]:
        """As ``MMSegInferencer.visualize``, drawn on each sample's first
        image (RGB)."""
        if not show and img_out_dir == '' and not return_vis:
            return None
        if self.visualizer is None:
            raise ValueError('Visualization needs the "visualizer" term '
                             'defined in the config, but got None.')
        self.visualizer.set_dataset_meta(**self.model.dataset_meta)
        self.visualizer.alpha = opacity
        results = []
        for sample, pred in zip(inputs, preds):
            img, name = self._first_image(sample)
            out_file = osp.join(img_out_dir, name) if img_out_dir else None
            self.visualizer.add_datasample(
                name, img, pred, show=show, wait_time=wait_time,
                draw_gt=False, draw_pred=True, out_file=out_file,
                with_labels=with_labels)
            if return_vis:
                results.append(self.visualizer.get_image())
            self.num_visualized_imgs += 1
        return results if return_vis else None
