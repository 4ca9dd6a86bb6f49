"""Data transforms of rsvheat_mm (each module registers on import).

* :mod:`.loading` / :mod:`.transforms` / :mod:`.formatting` -- the
  multi-image family (change pairs, optical + SAR, pretraining modalities).
* :mod:`.det_transforms` -- detection helpers.
* :mod:`.image_io` -- GDAL-free raster and label reading.

One family of transforms for samples made of several co-registered images,
in two sample layouts:

* ``results['img']`` is a **list** of ``[H, W, C_i]`` arrays (``MultiImg*``,
  mmseg): change detection (LEVIR-CD: the before and the after image) and
  multimodal segmentation (WHU-OPT-SAR: optical and SAR; AIR-PolSAR-Seg: four
  polarisations stacked into one image). The arrays may differ in dtype
  (``uint8`` optical next to ``uint16`` / ``float32`` SAR) and band count.
* ``results['imgs']`` is a **dict** ``{modality: [H, W, C]}``
  (``MultiModal*``, mmpretrain): unlabelled optical / SAR / paired images of
  self-supervised pretraining.
"""
from .image_io import read_label, read_raster  # noqa: F401
from .loading import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .formatting import *  # noqa: F401,F403
from .det_transforms import *  # noqa: F401,F403
