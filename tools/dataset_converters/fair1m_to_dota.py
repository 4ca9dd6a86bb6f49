"""Convert FAIR1M (1.0 / 2.0) XML annotations to DOTA txt.

Class names keep their spelling with ``_`` for spaces (``Small_Car``);
``FAIR1MDataset`` maps them back. Unknown class names stop the conversion
with the file named (``--allow-unknown`` keeps them).

Example::

    python tools/dataset_converters/fair1m_to_dota.py \
        data/FAIR1M2.0/train/labelXml data/FAIR1M2.0/train/labelTxt
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
from rsvheat_mm.datasets.annotations import (check_class_names,  # noqa: E402
                                        list_annotation_ids,
                                        parse_fair1m_xml, write_dota_txt)


def _classes():
    from rsvheat_mm.datasets.class_names import FAIR1M_CLASSES
    return FAIR1M_CLASSES


def convert(xml_dir: str, out_dir: str, allow_unknown: bool = False) -> int:
    """Convert every XML of ``xml_dir``; returns the number of files."""
    stems = list_annotation_ids(xml_dir, '.xml')
    classes = None if allow_unknown else _classes()
    for stem in stems:
        path = osp.join(xml_dir, stem + '.xml')
        ann = parse_fair1m_xml(path)
        if classes is not None:
            check_class_names(ann['objects'], classes, path, 'FAIR1M')
        write_dota_txt(osp.join(out_dir, stem + '.txt'), ann['objects'])
    return len(stems)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('xml_dir')
    p.add_argument('out_dir')
    p.add_argument('--allow-unknown', action='store_true')
    args = p.parse_args(argv)
    n = convert(args.xml_dir, args.out_dir, args.allow_unknown)
    print(f'converted {n} files to {args.out_dir}')
    return n


if __name__ == '__main__':
    main()
