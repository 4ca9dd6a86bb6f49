"""DOTA-format oriented-box datasets with checked parsing (mmrotate).

mmrotate's own ``DOTADataset`` parses ``labelTxt`` lines without checks: a
malformed line raises ``ValueError: could not convert string to float``, an
unknown class ``KeyError``, a missing difficult flag ``IndexError`` -- none
naming the file. :class:`CheckedDOTADataset` gives the same data infos
(``bbox`` = 8 corner coordinates, ``bbox_label``, ``ignore_flag``), so
mmrotate's pipelines and ``DOTAMetric`` apply unchanged, but parses with
:func:`~rsvheat_mm.datasets.annotations.parse_dota_txt` (errors name
``file:line`` and the fix), accepts a missing difficult flag (0), checks
every class name and that no object lies wholly outside its image, and names
the expected layout and the command that prepares it when the folders are
missing.

Layout (``data_root='data/split_ss_dota/'``, the output of
``tools/dataset_converters/split_large_images.py``)::

    trainval/images/P0000__1024__0___0.png   trainval/annfiles/...txt
    test/images/...                          (ann_file='' lists the images)
"""
import os
import os.path as osp
from typing import Dict, List, Optional

from mmrotate.datasets import DOTADataset

from ..registry import DATASETS, register
from ..utils.patch.split import objects_outside
from .annotations import AnnotationError, check_class_names, parse_dota_txt
from .data_layouts import missing_data_error

__all__ = ['CheckedDOTADataset']


def _image_size(path: str):
    """``(width, height)`` from the image header (PIL reads no pixels)."""
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(path) as im:
        return im.size


@register(DATASETS, hosts=('mmrotate', ))
class CheckedDOTADataset(DOTADataset):
    """DOTA (v1.0 classes by default) read by the checked DOTA-txt parser.

    Args:
        diff_thr: Objects with a difficult flag above it are ignored.
            Defaults to 100 (keep all, as mmrotate).
        img_suffix: Image extension without dot. Defaults to ``'png'``
            (the splitter writes png tiles).
        check_bounds: Refuse objects lying wholly outside their image
            (labels of another image size, e.g. a thumbnail): the size is
            read from the image header, or is the ``frame_size`` of a
            ``ResizeToAnnotationFrame`` in the pipeline (which brings such
            images to the label frame). Defaults to True.
        **kwargs: ``ann_file`` (annotation folder relative to ``data_root``;
            ``''`` = test mode, the images of ``data_prefix['img_path']``
            are listed), ``data_prefix``, ``metainfo`` (e.g. DOTA v1.5 / v2.0
            classes from :mod:`rsvheat_mm.datasets.class_names`),
            ``pipeline``, ``filter_cfg``, ... of mmrotate's ``DOTADataset``.

    Raises:
        FileNotFoundError: Missing or empty folders (names the layout and the
            command).
        AnnotationError: A malformed line, an unknown class or an object
            outside its image (names the file and the line).
    """

    layout_key = 'dota'
    ann_suffix = '.txt'

    def __init__(self, diff_thr: int = 100, img_suffix: str = 'png',
                 check_bounds: bool = True, **kwargs) -> None:
        self.check_bounds = check_bounds
        super().__init__(diff_thr=diff_thr, img_suffix=img_suffix, **kwargs)

    # hooks for subclasses (FAIR1M)
    def _parse(self, path: str) -> List[dict]:
        return parse_dota_txt(path)[0]

    def _aliases(self) -> Optional[Dict[str, str]]:
        return None

    def _missing(self, what: str, path: str) -> FileNotFoundError:
        return missing_data_error(self.layout_key, what, path,
                                  type(self).__name__)

    def _list(self, folder: str, suffix: str, what: str) -> List[str]:
        if not osp.isdir(folder):
            raise self._missing(what, folder)
        stems = sorted(f[:-len(suffix)] for f in os.listdir(folder)
                       if f.lower().endswith(suffix))
        if not stems:
            raise self._missing(f'{what} (no *{suffix} files)', folder)
        return stems

    def _test_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        suffix = '.' + self.img_suffix.lower()
        return [dict(img_id=s, file_name=s + suffix,
                     img_path=osp.join(img_dir, s + suffix), instances=[])
                for s in self._list(img_dir, suffix, 'Image folder')]

    def _label_frame(self):
        """``(height, width)`` the pipeline resizes images to before use
        (``ResizeToAnnotationFrame``), ``'file'`` (the image's own size), or
        None when the frame is not known here."""
        for t in getattr(self.pipeline, 'transforms', []):
            if type(t).__name__ == 'ResizeToAnnotationFrame':
                return getattr(t, 'frame_size', None)
        return 'file'

    def _check_bounds(self, objects: List[dict], img_path: str,
                      ann_path: str) -> None:
        frame = self._label_frame()
        if frame is None or not osp.isfile(img_path):
            return  # the image loader names a missing file
        if frame == 'file':
            width, height = _image_size(img_path)
        else:
            height, width = frame
        wholly, _ = objects_outside(objects, width, height)
        if wholly:
            obj = objects[wholly[0]]
            line = f':{obj["lineno"]}' if obj.get('lineno') else ''
            raise AnnotationError(
                f'{ann_path}{line}: {len(wholly)} object(s) lie wholly '
                f'outside the {width}x{height} image {img_path} (first: '
                f'{obj["name"]} at {[round(float(v), 1) for v in obj["poly"]]}'
                f'). The labels belong to another image size: use the '
                f'full-resolution image, add ResizeToAnnotationFrame('
                f'frame_size=...) after the image loader, or set '
                f'check_bounds=False.')

    def load_data_list(self) -> List[dict]:
        """Parse the annotation folder (or list the test images)."""
        if not self.ann_file:
            return self._test_list()
        classes = self.metainfo['classes']
        cat2label = {c: i for i, c in enumerate(classes)}
        data_list = []
        for img_id in self._list(self.ann_file, self.ann_suffix,
                                 'annotation folder'):
            path = osp.join(self.ann_file, img_id + self.ann_suffix)
            objects = self._parse(path)
            check_class_names(objects, classes, path, type(self).__name__,
                              aliases=self._aliases())
            name = f'{img_id}.{self.img_suffix}'
            img_path = osp.join(self.data_prefix['img_path'], name)
            if self.check_bounds:
                self._check_bounds(objects, img_path, path)
            data_list.append(dict(
                img_id=img_id, file_name=name, img_path=img_path,
                instances=[
                    dict(bbox=[float(v) for v in obj['poly']],
                         bbox_label=cat2label[obj['name']],
                         ignore_flag=int(obj['difficult'] > self.diff_thr))
                    for obj in objects
                ]))
        return data_list
