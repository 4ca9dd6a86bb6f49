"""Peak memory and time of whole-scene segmentation versus scene size (CPU).

For each size, a smooth 3-band uint8 GeoTIFF scene (EPSG:32650, 0.5 m) is
generated on disk block by block, then ``SegSceneInferencer`` runs a tiny
UperNet-RSvHeat (``--embed-dims``, depths 1-1-1-1) over it in a fresh
process, which reports its peak RSS (``ru_maxrss``), its peak RSS before the
run (model loaded, one warm-up window) and the time of the run (reading,
inference, blending, GeoTIFF and overview writing). Each size runs
``--repeat`` times (fresh processes); the Markdown table gives the medians
and ranges (all runs go to ``--out`` as JSON).

Example::

    python tools/analysis_tools/scene_inference_benchmark.py \\
        --sizes 2048 8192 16384 --work-dir /tmp/scene_bench --out bench.json

Targets (issue 13): peak RSS at 16384 px within 10 % of the 2048 px figure,
time per megapixel within 15 % across sizes.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SEG_CFG = 'configs/upernet/upernet_rsvheat-b_8xb2-80k_potsdam-512x512.py'


def make_scene(path: str, size: int, rows: int = 512) -> None:
    """A ``size`` x ``size`` 3-band uint8 GeoTIFF, written in row strips."""
    import numpy as np
    import rasterio
    from affine import Affine
    if osp.isfile(path):
        return
    profile = dict(driver='GTiff', width=size, height=size, count=3,
                   dtype='uint8', crs='EPSG:32650', tiled=True,
                   blockxsize=256, blockysize=256, compress='deflate',
                   transform=Affine(0.5, 0, 500000.0, 0, -0.5, 3500000.0))
    xx = np.arange(size, dtype=np.float32)[None, :]
    tmp = path + '.part'
    with rasterio.open(tmp, 'w', **profile) as dst:
        for y0 in range(0, size, rows):
            yy = np.arange(y0, min(y0 + rows, size), dtype=np.float32)[:, None]
            bands = [127 + 120 * np.sin(xx / p + yy / q)
                     for p, q in ((37., 53.), (71., 29.), (113., 97.))]
            arr = np.stack(bands).astype(np.uint8)
            dst.write(arr, window=rasterio.windows.Window(0, y0, size,
                                                          arr.shape[1]))
    os.replace(tmp, path)


def child(args) -> None:
    """Run one scene and print a JSON line with the measurements."""
    sys.path.insert(0, REPO)
    import torch
    from mmengine.config import Config

    from rsvheat_mm.apis import SegSceneInferencer
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(REPO, SEG_CFG))
    m = cfg.model
    e = args.embed_dims
    m.backbone.update(arch=dict(embed_dims=e, depths=[1, 1, 1, 1]),
                      img_size=64, drop_path_rate=0.)
    m.decode_head.update(in_channels=[e, 2 * e, 4 * e, 8 * e],
                         channels=2 * e, norm_cfg=dict(type='BN'))
    m.auxiliary_head = None
    inf = SegSceneInferencer(cfg, None, 'cpu', patch_size=args.patch,
                             gap=args.gap, batch_size=args.batch,
                             progress=False)
    # warm-up: one window (lazy imports, DCT bases, decay caches, threads)
    # so the timed run is the per-window cost times the window count
    srcs = inf.open_inputs([args.scene])
    inf.predict_windows(srcs, inf.windows_of(args.patch, args.patch)[:1])
    srcs[0].close()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.
    start = time.perf_counter()
    man = inf([args.scene], args.child_out, skip_complete=False)
    sec = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.
    windows = len(inf.windows_of(man['width'], man['height']))
    print('RESULT ' + json.dumps(dict(
        size=man['width'], windows=windows, seconds=sec,
        peak_rss_mib=rss, rss_before_mib=rss0)))


def summarize(runs, size: int) -> dict:
    """Median and range of the runs of one size (fresh processes)."""
    import statistics
    mp = size * size / 1e6
    secs = [r['seconds'] for r in runs]
    peaks = [r['peak_rss_mib'] for r in runs]
    return dict(size=size, windows=runs[0]['windows'], runs=runs,
                seconds=statistics.median(secs),
                s_per_mp=statistics.median(secs) / mp,
                s_per_mp_range=(min(secs) / mp, max(secs) / mp),
                peak_rss_mib=statistics.median(peaks),
                peak_rss_range=(min(peaks), max(peaks)),
                rss_before_mib=statistics.median(
                    r['rss_before_mib'] for r in runs))


def format_table(rows) -> str:
    """Markdown table; the last columns against the first size (targets:
    peak RSS within 10 %, time per MP within 15 %)."""
    base, t0 = rows[0]['peak_rss_mib'], rows[0]['s_per_mp']
    out = ['', '| scene | windows | runs | time (s) | s / MP (range) | '
           'peak RSS MiB (range) | RSS before run (MiB) | '
           'peak vs first | s / MP vs first |',
           '|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        lo, hi = r['s_per_mp_range']
        plo, phi = r['peak_rss_range']
        out.append(
            f"| {r['size']}² | {r['windows']} | {len(r['runs'])} | "
            f"{r['seconds']:.1f} | {r['s_per_mp']:.3f} ({lo:.3f}-{hi:.3f}) "
            f"| {r['peak_rss_mib']:.0f} ({plo:.0f}-{phi:.0f}) | "
            f"{r['rss_before_mib']:.0f} | "
            f"{100 * (r['peak_rss_mib'] / base - 1):+.1f} % | "
            f"{100 * (r['s_per_mp'] / t0 - 1):+.1f} % |")
    return '\n'.join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', type=int, nargs='+',
                   default=[2048, 8192, 16384])
    p.add_argument('--work-dir', default='/tmp/rsvheat_scene_bench')
    p.add_argument('--patch', type=int, default=512)
    p.add_argument('--gap', type=int, default=128)
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--embed-dims', type=int, default=8)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeat', type=int, default=3,
                   help='fresh processes per size; the table gives the '
                   'median time and peak RSS and their ranges (a 2048 px '
                   'run takes ~2 s: one run is noise)')
    p.add_argument('--out', default=None, help='JSON file of the results')
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--scene', help=argparse.SUPPRESS)
    p.add_argument('--child-out', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    os.makedirs(args.work_dir, exist_ok=True)
    rows = []
    for size in args.sizes:
        scene = osp.join(args.work_dir, f'scene_{size}.tif')
        t0 = time.time()
        make_scene(scene, size)
        print(f'scene {size}^2 ready ({time.time() - t0:.0f} s)', flush=True)
        cmd = [sys.executable, __file__, '--child', '--scene', scene,
               '--child-out', osp.join(args.work_dir, f'out_{size}'),
               '--patch', str(args.patch), '--gap', str(args.gap),
               '--batch', str(args.batch), '--embed-dims',
               str(args.embed_dims), '--threads', str(args.threads)]
        runs = []
        for _ in range(max(args.repeat, 1)):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [ln for ln in proc.stdout.splitlines()
                    if ln.startswith('RESULT ')]
            if proc.returncode or not line:
                print(proc.stdout[-2000:], proc.stderr[-4000:])
                return 1
            runs.append(json.loads(line[0][7:]))
            print(json.dumps(runs[-1]), flush=True)
        r = summarize(runs, size)
        rows.append(r)
    print(format_table(rows))
    if args.out:
        tmp = args.out + '.part'
        with open(tmp, 'w') as f:
            json.dump(rows, f, indent=1)
        os.replace(tmp, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
