"""Where each dataset's files must be, and the command that puts them there.

One entry per dataset: the folder layout the config reads and the one command
that makes it from the unpacked release (``docs/datasets.md`` has the
release layouts). The dataset classes put both into every "file not found"
message, so a missing or wrongly laid-out folder says what to do.
"""
from typing import Dict, NamedTuple

__all__ = ['DataLayout', 'LAYOUTS', 'missing_data_error', 'layout_help']

_MMSEG_TOOLS = ('https://github.com/open-mmlab/mmsegmentation/blob/v1.2.2/'
                'tools/dataset_converters')
#: where the installed mmseg package keeps its converters
_MMSEG_DIR = ('$(python -c "import mmseg, os; print(os.path.dirname('
              'mmseg.__file__))")/.mim/tools/dataset_converters')
_MMSEG_FETCH = ('the mmseg pip package ships it under mmseg/.mim/tools/'
                'dataset_converters/ (not in this repository); without it, '
                'take the file from {url}')


class DataLayout(NamedTuple):
    """Layout the config reads, and how to make it."""
    name: str
    layout: str
    prepare: str


LAYOUTS: Dict[str, DataLayout] = {
    'aid': DataLayout(
        'AID', 'data/AID/<30 class folders>/*.jpg and data/AID/splits/'
        '{train,val}_tr{20,50}.txt',
        'python tools/dataset_converters/make_cls_splits.py aid data/AID '
        '--out data/AID/splits'),
    'nwpu': DataLayout(
        'NWPU-RESISC45', 'data/NWPU-RESISC45/<45 class folders>/*.jpg and '
        'data/NWPU-RESISC45/splits/{train,val}_tr{10,20}.txt',
        'python tools/dataset_converters/make_cls_splits.py nwpu '
        'data/NWPU-RESISC45 --out data/NWPU-RESISC45/splits'),
    'dior': DataLayout(
        'DIOR', 'data/DIOR/{JPEGImages-trainval,JPEGImages-test}/*.jpg, '
        'data/DIOR/Annotations/{Horizontal Bounding Boxes,Oriented Bounding '
        'Boxes}/*.xml, data/DIOR/ImageSets/Main/{train,val,test}.txt',
        'none: unzip the release archives (JPEGImages-trainval.zip, '
        'JPEGImages-test.zip, Annotations.zip, ImageSets.zip) into data/DIOR'),
    'sar_aircraft': DataLayout(
        'SAR-AIRcraft-1.0', 'data/SAR-AIRcraft-1.0/JPEGImages/*.jpg, '
        'Annotations/*.xml, ImageSets/Main/{train,val,test}.txt',
        'none: unpack the release into data/SAR-AIRcraft-1.0'),
    'dota': DataLayout(
        'DOTA', 'data/split_ss_dota/{trainval,test}/images/*.png and '
        'trainval/annfiles/*.txt (1024 px tiles)',
        'python tools/dataset_converters/split_large_images.py --img-dir '
        'data/DOTA/train/images data/DOTA/val/images --ann-dir '
        'data/DOTA/train/labelTxt data/DOTA/val/labelTxt --out-dir '
        'data/split_ss_dota/trainval (and --img-dir data/DOTA/test/images '
        '--out-dir data/split_ss_dota/test for the test set)'),
    'fair1m': DataLayout(
        'FAIR1M-2.0', 'data/split_ss_fair1m2/{train,val,test}/images/*.png '
        'and {train,val}/annfiles/*.txt (1024 px tiles)',
        'python tools/dataset_converters/split_large_images.py '
        '--ann-format fair1m --img-dir data/FAIR1M2.0/train/part1/images '
        'data/FAIR1M2.0/train/part2/images --ann-dir '
        'data/FAIR1M2.0/train/part1/labelXml data/FAIR1M2.0/train/part2/'
        'labelXml --out-dir data/split_ss_fair1m2/train (then validation/ '
        '-> val, test/images -> test; see docs/datasets.md)'),
    'potsdam': DataLayout(
        'ISPRS Potsdam', 'data/potsdam/{img_dir,ann_dir}/{train,val}/*.png',
        f'python {_MMSEG_DIR}/potsdam.py '
        '<folder with 2_Ortho_RGB.zip and 5_Labels_all_noBoundary.zip> '
        '-o data/potsdam --clip_size 512 --stride_size 256; potsdam.py: '
        + _MMSEG_FETCH.format(url=f'{_MMSEG_TOOLS}/potsdam.py')),
    'isaid': DataLayout(
        'iSAID', 'data/iSAID/{img_dir,ann_dir}/{train,val}/*.png '
        '(labels *_instance_color_RGB.png)',
        f'python {_MMSEG_DIR}/isaid.py <iSAID folder '
        'with {train,val,test}/images/*.zip and {train,val}/Semantic_masks/'
        '*.zip> -o data/iSAID --patch_width 896 --patch_height 896 '
        '--overlap_area 384; isaid.py: '
        + _MMSEG_FETCH.format(url=f'{_MMSEG_TOOLS}/isaid.py')),
    'air_polsar_seg': DataLayout(
        'AIR-PolSAR-Seg', 'data/AIR-PolSAR-Seg/{train_set,test_set}/'
        '<id>_{HH,HV,VH,VV}.tiff with <id>_gt.png (RGB colour label) side '
        'by side',
        'none: unpack the release into data/AIR-PolSAR-Seg (read as '
        'shipped; colours become class indices on load)'),
    'whu_opt_sar': DataLayout(
        'WHU-OPT-SAR', 'data/whu_opt_sar_512/{train,test}/{optical,sar,lbl}/'
        '<scene>_<x>_<y>.tif (512 px tiles)',
        'python tools/dataset_converters/whu_opt_sar.py data/WHU-OPT-SAR '
        'data/whu_opt_sar_512 (reads optical/, sar/, lbl/ and "The division '
        'of the dataset.txt" as released)'),
    'levir_cd': DataLayout(
        'LEVIR-CD', 'data/levir_cd/{train,val,test}/{A,B,label}/*.png',
        'none: unzip train.zip, val.zip and test.zip of the release into '
        'data/levir_cd'),
}


def layout_help(key: str) -> str:
    """``Expected layout ... Prepare it with ...`` for dataset ``key``."""
    entry = LAYOUTS[key]
    return (f'Expected {entry.name} layout: {entry.layout}. Prepare it from '
            f'the release with: {entry.prepare} (docs/datasets.md).')


def missing_data_error(key: str, what: str, path: str,
                       owner: str = '') -> FileNotFoundError:
    """A ``FileNotFoundError`` naming the path, the layout and the command.

    Args:
        key: Dataset key in :data:`LAYOUTS`.
        what: What is missing (``'image folder'``, ``'split list'``, ...).
        path: The path looked for.
        owner: Class or tool name starting the message. Defaults to ``''``.
    """
    head = f'{owner}: ' if owner else ''
    return FileNotFoundError(
        f'{head}{what} {path!r} does not exist or is empty. '
        f'{layout_help(key)}')
