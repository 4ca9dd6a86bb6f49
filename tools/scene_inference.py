"""Run a detection, segmentation or change-detection model over whole scenes.

One command for the three dense tasks (the task comes from the config):

* one scene: ``scene_inference.py CONFIG CKPT scene.tif --out-dir out``
* a change pair: ``scene_inference.py CONFIG CKPT A.tif B.tif --out-dir out``
* a folder: ``scene_inference.py CONFIG CKPT scenes/ --out-dir out``
  (change detection: two folders ``A/ B/``, pairs matched by file name)
* a list: ``scene_inference.py CONFIG CKPT scenes.txt --out-dir out``
  (one scene, or ``A B`` for a pair, per line; ``#`` comments)

Scenes are GeoTIFF / COG of any band count and dtype (read window by window)
or PNG / JPEG. Outputs per scene (``<stem>`` = the first scene's name):

* detection: ``<stem>.geojson`` (one polygon per object in the scene CRS),
  ``<stem>.txt`` (DOTA-style, pixels), ``<stem>_overview.png``;
* segmentation: ``<stem>_seg.tif`` (class indices, colour table, the scene's
  transform / CRS), ``<stem>_overview.png``;
* change detection: ``<stem>_change.tif``, ``<stem>_change.geojson``
  (changed regions), ``<stem>_overview.png``;
* pixels without data (nodata value, alpha band, mask) get no result
  (``nodata=255`` in the GeoTIFFs); an RGBA scene into an RGB config drops
  its alpha band by itself;
* ``<stem>.scene.json``: the manifest, written last. A rerun skips scenes
  whose manifest and outputs exist and redoes a scene interrupted half way
  (``--overwrite`` redoes all).

Many processes: ``torchrun --nproc_per_node N tools/scene_inference.py ...
--launcher pytorch`` shards the scenes over the processes (gloo on CPU, NCCL
on GPU); each writes its own scenes' outputs.

Example::

    python tools/scene_inference.py \\
        configs/upernet/upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py \\
        work_dirs/potsdam/best_mFscore.pth scenes/ --out-dir outputs \\
        --bands 2,1,0 --rescale percentile --device cuda:0
"""
import argparse
import os
import os.path as osp
import sys
from pathlib import Path
from typing import List, Optional, Sequence

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))


def parse_bands(text: Optional[str]):
    """``'0,1,2'`` -> [0, 1, 2]; ``'0,1,2;0'`` -> one list per input."""
    if not text:
        return None
    parts = [p.strip() for p in text.split(';')]
    try:
        lists = [[int(v) for v in p.split(',') if v.strip()] or None
                 for p in parts]
    except ValueError:
        raise SystemExit(f'--bands {text!r}: give 0-based band indices, '
                         f'e.g. 2,1,0 (or 2,1,0;0 per input of a pair)')
    return lists[0] if len(lists) == 1 else lists


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[2:]))
    p.add_argument('config', help='mmdet / mmrotate / mmseg config')
    p.add_argument('checkpoint', help="weights (.pth); 'none' keeps the "
                   'initial weights (pipeline tests only)')
    p.add_argument('inputs', nargs='+',
                   help='scene file(s), folder(s) or a .txt list')
    p.add_argument('--out-dir', required=True, help='output folder')
    p.add_argument('--patch-size', type=int, default=None,
                   help='window side (default: the config slide crop, 512 '
                   'for segmentation; 1024 for detection)')
    p.add_argument('--gap', type=int, default=None,
                   help='window overlap (default: crop - stride, or patch/4; '
                   '200 for detection)')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--bands', default=None,
                   help='0-based file bands fed to the model, e.g. 2,1,0; '
                   "per input of a pair: '2,1,0;2,1,0' (default: the "
                   "pipeline's, else all)")
    p.add_argument('--rescale', default='none',
                   choices=['none', 'percentile', 'minmax'],
                   help='stretch non-8-bit scenes to 0..255 for an 8-bit '
                   'config (default none: refuse)')
    p.add_argument('--value-range', type=float, nargs=2, default=None,
                   metavar=('LOW', 'HIGH'),
                   help='fixed range of that stretch')
    p.add_argument('--score-thr', type=float, default=0.3,
                   help='detection score threshold (default 0.3)')
    p.add_argument('--iou-thr', type=float, default=0.1,
                   help='detection merge NMS IoU (default 0.1)')
    p.add_argument('--device', default=None,
                   help='torch device (default cuda if present, else cpu)')
    p.add_argument('--overwrite', action='store_true',
                   help='redo scenes whose outputs are complete')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument('--gdal-cache-mb', type=int, default=16,
                   help='GDAL block cache per scene in MiB (default 16; '
                   'raised by itself for files stored in strips)')
    p.add_argument('--launcher', default='none',
                   choices=['none', 'pytorch', 'slurm', 'mpi'])
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='key=value overrides of the config')
    return p.parse_args(argv)


def _list_scenes(folder: str) -> List[str]:
    from rsvheat_mm.apis.raster_io import RASTER_SUFFIXES
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(RASTER_SUFFIXES) and
                   not n.startswith('.'))
    return [osp.join(folder, n) for n in names]


def _read_list(path: str, k: int) -> List[List[str]]:
    base = osp.dirname(osp.abspath(path))
    out = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != k:
                raise SystemExit(
                    f'{path}:{i}: {len(parts)} path(s) on the line, the '
                    f'config takes {k} scene(s) per sample.')
            out.append([p if osp.isabs(p) else osp.join(base, p)
                        for p in parts])
    if not out:
        raise SystemExit(f'{path}: no scenes listed.')
    return out


def collect_samples(inputs: Sequence[str], k: int) -> List[List[str]]:
    """Samples (``k`` scenes each) from files, folders or a list."""
    for p in inputs:
        if not osp.exists(p):
            raise SystemExit(f'Input not found: {p}. Check the path.')
    if len(inputs) == 1 and inputs[0].lower().endswith('.txt'):
        return _read_list(inputs[0], k)
    if all(osp.isdir(p) for p in inputs):
        if len(inputs) != k:
            raise SystemExit(
                f'{len(inputs)} folder(s) given; the config takes {k} '
                f'scene(s) per sample: give {k} folder(s) with the same file '
                f'names.')
        lists = [_list_scenes(d) for d in inputs]
        if not lists[0]:
            raise SystemExit(f'No scenes (.tif/.png/.jpg ...) in '
                             f'{inputs[0]}.')
        names = [{Path(p).name: p for p in lst} for lst in lists]
        missing = [(inputs[i], sorted(set(names[0]) - set(n))[:5])
                   for i, n in enumerate(names) if set(n) != set(names[0])]
        if missing:
            raise SystemExit(
                'The folders do not hold the same file names: ' + '; '.join(
                    f'{d} lacks or adds {m}' for d, m in missing) +
                '. Pairs are matched by name.')
        return [[n[name] for n in names] for name in sorted(names[0])]
    if any(osp.isdir(p) for p in inputs):
        raise SystemExit('Give scene files, or folders, not both.')
    if k == 1:
        return [[p] for p in inputs]
    if len(inputs) % k:
        raise SystemExit(f'{len(inputs)} scene file(s) given; the config '
                         f'takes {k} per sample.')
    return [list(inputs[i:i + k]) for i in range(0, len(inputs), k)]


def check_out_dir(out_dir: str, samples: Sequence[Sequence[str]],
                  inputs: Sequence[str]) -> None:
    """Refuse an output folder that is an input folder or inside one."""
    out = osp.realpath(out_dir)
    folders = {osp.realpath(p) for p in inputs if osp.isdir(p)}
    for d in folders:
        if out == d or out.startswith(d + os.sep):
            raise SystemExit(
                f'--out-dir {out_dir} is or lies inside the input folder '
                f'{d}; outputs must not mix with the scenes. Choose a '
                f'folder outside it.')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.dist import get_dist_info, init_dist

    import rsvheat_mm  # noqa: F401  (registers the modules)
    from rsvheat_mm.apis.scene_inference import (build_scene_inferencer,
                                                 run_scenes)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device.startswith('cuda') and not torch.cuda.is_available():
        print('CUDA not available: running on CPU')
        device = 'cpu'
    if args.launcher != 'none':
        if device.startswith('cuda'):
            init_dist(args.launcher, backend='nccl')
            if device == 'cuda':
                device = f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
        elif args.launcher == 'pytorch':
            # mmengine's init_dist selects a CUDA device; on CPU use gloo
            # with torchrun's environment directly
            torch.distributed.init_process_group(backend='gloo')
        else:
            raise SystemExit(f'--launcher {args.launcher} needs CUDA; on CPU '
                             f'use torchrun (--launcher pytorch).')
    rank, world = get_dist_info()
    ckpt = None if args.checkpoint.lower() == 'none' else args.checkpoint
    try:
        inf = build_scene_inferencer(
            args.config, ckpt, device, patch_size=args.patch_size,
            gap=args.gap, batch_size=args.batch_size,
            bands=parse_bands(args.bands), rescale=args.rescale,
            value_range=args.value_range, score_thr=args.score_thr,
            iou_thr=args.iou_thr, progress=not args.no_progress,
            cfg_options=args.cfg_options, gdal_cache_mb=args.gdal_cache_mb)
        samples = collect_samples(args.inputs, inf.num_inputs)
        check_out_dir(args.out_dir, samples, args.inputs)
        mans = run_scenes(inf, samples, args.out_dir, rank, world,
                          args.overwrite, progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    done = [m['stem'] for m in mans if not m['skipped']]
    skipped = [m['stem'] for m in mans if m['skipped']]
    print(f'rank {rank}/{world}: {len(done)} scene(s) done '
          f'{done}, {len(skipped)} already complete {skipped} -> '
          f'{args.out_dir}')
    if world > 1:
        from mmengine.dist import barrier
        barrier()
    return 0


if __name__ == '__main__':
    sys.exit(main())
