"""FAIR1M-2.0 (37 fine-grained classes, oriented boxes) for mmrotate.

Sun et al., "FAIR1M: A benchmark dataset for fine-grained object
recognition in high-resolution remote sensing imagery", ISPRS J. 2022.
Images are large GF-2/GF-3 scenes (``N.tif``) with one XML per image
(``objects/object/possibleresult/name`` and 5 closed ``points``). The release
unpacks to ``train/part1/{images,labelXml}``, ``train/part2/{images,
labelXml}`` (part 2's labels ship as ``labelXmls.zip``: unzip it to
``labelXml``), ``validation/{images,labelXml}`` and ``test/images``.

Two ways in:

1. Standard (like DOTA): split offline with
   ``tools/dataset_converters/split_large_images.py --ann-format fair1m``
   (1024 tiles, gap 200; several image/label folder pairs in one call), then
   ``FAIR1MDataset(ann_file='train/annfiles/')``.
2. Direct: ``FAIR1MDataset(ann_format='xml', ann_file='train/part1/labelXml/',
   img_suffix='tif')`` reads the XML (full images; for inspection).

Test set (no annotations): ``ann_file=''`` lists the images of
``data_prefix['img_path']``.
"""
from typing import Dict, List

from ..registry import DATASETS, register
from .annotations import encode_class_name, parse_fair1m_xml
from .class_names import FAIR1M_CLASSES
from .dota import CheckedDOTADataset

__all__ = ['FAIR1MDataset', 'FAIR1M_CLASSES']


def _palette(n: int) -> List[tuple]:
    return [((37 * i) % 256, (97 * i + 60) % 256, (173 * i + 120) % 256)
            for i in range(n)]


@register(DATASETS, hosts=('mmrotate', ))
class FAIR1MDataset(CheckedDOTADataset):
    """FAIR1M-1.0/2.0 (and any DOTA-txt or FAIR1M-XML set) for mmrotate.

    Data infos are those of mmrotate's ``DOTADataset``; parsing is checked as
    in :class:`~rsvheat_mm.datasets.dota.CheckedDOTADataset`.

    Args:
        ann_format: ``'txt'`` (DOTA txt from the converter / splitter; ``_``
            in a class name means a space) or ``'xml'`` (original FAIR1M
            XML). Defaults to ``'txt'``.
        **kwargs: ``diff_thr``, ``img_suffix`` (default ``'png'``; ``'tif'``
            for full images), ``check_bounds``, ``ann_file``,
            ``data_prefix``, ... of
            :class:`~rsvheat_mm.datasets.dota.CheckedDOTADataset`.
    """

    METAINFO = dict(classes=FAIR1M_CLASSES, palette=_palette(37))
    layout_key = 'fair1m'

    def __init__(self, ann_format: str = 'txt', **kwargs) -> None:
        if ann_format not in ('txt', 'xml'):
            raise ValueError(f"ann_format={ann_format!r}: use 'txt' (DOTA "
                             f"txt) or 'xml' (FAIR1M XML)")
        self.ann_format = ann_format
        self.ann_suffix = '.txt' if ann_format == 'txt' else '.xml'
        super().__init__(**kwargs)

    def _parse(self, path: str) -> List[dict]:
        if self.ann_format == 'xml':
            return parse_fair1m_xml(path)['objects']
        return super()._parse(path)

    def _aliases(self) -> Dict[str, str]:
        # DOTA txt cannot hold spaces: 'Small_Car' is 'Small Car'
        return {encode_class_name(c): c for c in self.metainfo['classes']}
