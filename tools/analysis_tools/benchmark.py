"""Side-by-side efficiency of RSvHeat and attention backbones.

Throughput (images/s), peak memory (CUDA: allocator peak; CPU: peak RSS of
a fresh process per measurement) and MACs (DCT matmuls and FFTs counted)
of RSvHeat tiny/small/base against mmpretrain's Swin-B (7x7 window and
window = input/32), ViT-B/16 and a windowed ViT-B (ViTSAM layout, an RVSA
stand-in), for chosen sizes, batch sizes and forward / forward+backward.
All pairs are measured in the same run. Writes ``benchmark.md``,
``benchmark.json`` and ``benchmark.png`` (log-log cost vs pixels with the
fitted exponent per model) to ``--out-dir``. OOM and the time cap are
recorded as results.

Examples::

    # CPU, what fits in a few minutes on 2 cores
    python tools/analysis_tools/benchmark.py --sizes 224 512 1024 \\
        --modes fwd --batch 1 --repeat 2 --time-cap 60
    # GPU, the full sweep
    python tools/analysis_tools/benchmark.py --device cuda \\
        --sizes 224 512 1024 2048 --batch 1 8 --modes fwd fwd+bwd \\
        --repeat 30 --warmup 10 --hco-sweep
    # matrix vs FFT HCO paths only
    python tools/analysis_tools/benchmark.py --models none --hco-sweep

Imports only torch, mmengine, mmpretrain and the backbone: the package
``rsvheat_mm`` is loaded *lightly* (its ``__init__`` that pulls in mmdet /
mmseg / mmrotate is skipped) unless ``--full-import`` is given.
"""
import argparse
import json
import os
import platform
import shlex
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def light_import() -> None:
    """Import the backbone without ``rsvheat_mm/__init__`` side effects.

    Registers empty parent packages (``rsvheat_mm``, ``rsvheat_mm.models``,
    ``rsvheat_mm.models.backbones``) whose ``__path__`` points at the
    sources, so only the registry, the HCO math, the backbone module and
    :mod:`rsvheat_mm.analysis` execute.
    """
    if 'rsvheat_mm' in sys.modules:
        return
    try:
        import importlib.util
        spec = importlib.util.find_spec('rsvheat_mm')
        root = Path(spec.origin).parent if spec and spec.origin else None
    except (ImportError, ValueError):
        root = None
    root = root or REPO / 'rsvheat_mm'
    for name, sub in (('rsvheat_mm', ''), ('rsvheat_mm.models', 'models'),
                      ('rsvheat_mm.models.backbones', 'models/backbones')):
        mod = types.ModuleType(name)
        mod.__path__ = [str(root / sub) if sub else str(root)]
        sys.modules[name] = mod


def machine_description(device: str) -> str:
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f
                     if ln.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    text = (f'{cpu}, {os.cpu_count()} logical CPUs ({torch.get_num_threads()}'
            f' torch threads), Python {platform.python_version()}, torch '
            f'{torch.__version__}')
    if device.startswith('cuda'):
        text += (f', GPU {torch.cuda.get_device_name(0)}, CUDA '
                 f'{torch.version.cuda}')
    return text


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--models', nargs='+', default=None,
                   help='model names (rsvheat-t/s/b[@matrix|@fft], swin-b, '
                   'swin-b-win32, vit-b, vit-b-win), NAME=FAMILY:JSON for a '
                   'custom arch, or "none". Default: all of them')
    p.add_argument('--ref', nargs='+', default=['rsvheat-b',
                                                'rsvheat-b-lean'],
                   help='model(s) the others are compared with (those run)')
    p.add_argument('--sizes', nargs='+', type=int,
                   default=[224, 512, 1024, 2048])
    p.add_argument('--batch', nargs='+', type=int, default=[1])
    p.add_argument('--modes', nargs='+', default=['fwd'],
                   choices=['fwd', 'fwd+bwd'])
    p.add_argument('--repeat', type=int, default=3,
                   help='timed iterations per measurement (median)')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--time-cap', type=float, default=120.,
                   help='seconds after which a measurement stops timing; '
                   'a child running past 1.5x cap + 120 s is killed and '
                   'recorded as "timeout"')
    p.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    p.add_argument('--amp', default='none', choices=['none', 'bf16', 'fp16'])
    p.add_argument('--threads', type=int, default=0,
                   help='torch CPU threads (0: torch default)')
    p.add_argument('--no-flops', action='store_true',
                   help='skip MAC counting')
    p.add_argument('--hco-sweep', action='store_true',
                   help='also time the matrix and FFT HCO paths per shape')
    p.add_argument('--hco-shapes', nargs='+', default=None,
                   help='HxWxC shapes for --hco-sweep, e.g. 256x256x128')
    p.add_argument('--fit-min-size', type=int, default=512,
                   help='smallest size used for the fitted exponents')
    p.add_argument('--out-dir', default='work_dirs/benchmark')
    p.add_argument('--full-import', action='store_true',
                   help='import rsvheat_mm normally (all host toolboxes)')
    p.add_argument('--child', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for v, name in ((args.sizes, '--sizes'), (args.batch, '--batch')):
        if any(x < 1 for x in v):
            p.error(f'{name} must be positive integers, got {v}')
    if args.repeat < 1 or args.time_cap <= 0:
        p.error('--repeat must be >= 1 and --time-cap > 0')
    return args


def count_all_macs(specs, sizes, device: str) -> dict:
    """MACs per image of one forward, per (model, size), on fake tensors."""
    from rsvheat_mm.analysis import build_model, count_macs, fake_mode
    from rsvheat_mm.models.utils import fast_dct
    saved = dict(fast_dct.FFT_MIN_SIDE_SUM)
    dev_type = device.split(':')[0]
    # resolve method='auto' as it would be on the measured device
    fast_dct.FFT_MIN_SIDE_SUM['cpu'] = saved.get(dev_type, saved['default'])
    macs = {}
    try:
        for spec in specs:
            env = os.environ.get('RSVHEAT_DCT_METHOD')
            if spec['family'] == 'rsvheat':
                os.environ['RSVHEAT_DCT_METHOD'] = spec['dct']
            for size in sizes:
                try:
                    # real (CPU) weights, fake activations: no memory, no time
                    model = build_model(spec, size)
                    model.eval()
                    model.requires_grad_(False)
                    with fake_mode():
                        if spec['family'] == 'rsvheat':
                            model.switch_to_deploy(size)
                        macs[(spec.name, size)] = count_macs(
                            model, (1, 3, size, size))['macs']
                    del model
                except Exception as err:  # report, do not crash the sweep
                    print(f'[flops] {spec.name} @ {size}: {err}',
                          file=sys.stderr)
            if env is None:
                os.environ.pop('RSVHEAT_DCT_METHOD', None)
            else:
                os.environ['RSVHEAT_DCT_METHOD'] = env
    finally:
        fast_dct.FFT_MIN_SIDE_SUM.clear()
        fast_dct.FFT_MIN_SIDE_SUM.update(saved)
    return macs


def _parse_shape(text: str):
    try:
        h, w, c = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise SystemExit(f'--hco-shapes: {text!r} is not HxWxC, e.g. '
                         f'256x256x128') from None
    return h, w, c


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.full_import:
        light_import()
    if args.child:
        from rsvheat_mm.analysis.measure import measure
        job = json.loads(args.child)
        from rsvheat_mm.analysis.models import ModelSpec
        job['spec'] = ModelSpec(job['spec'])
        print('@@RESULT ' + json.dumps(measure(**job)), flush=True)
        return 0

    from rsvheat_mm.analysis import compare, fit_all, markdown, parse_model
    from rsvheat_mm.analysis.measure import run_isolated
    from rsvheat_mm.analysis.models import DEFAULT_MODELS
    from rsvheat_mm.analysis.report import plot_loglog, write_json
    names = list(DEFAULT_MODELS) if args.models is None else [
        m for m in args.models if m != 'none']
    try:
        specs = [parse_model(m) for m in names]
    except ValueError as err:
        raise SystemExit(f'benchmark.py: {err}') from None
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tool = str(Path(__file__).resolve())
    command = 'python tools/analysis_tools/benchmark.py ' + ' '.join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    machine = machine_description(args.device)
    print(f'# {machine}', flush=True)

    results = []
    for spec in specs:
        for size in args.sizes:
            for batch in args.batch:
                for mode in args.modes:
                    job = dict(spec=dict(spec), size=size, batch=batch,
                               mode=mode, device=args.device,
                               repeat=args.repeat, warmup=args.warmup,
                               time_cap=args.time_cap, amp=args.amp,
                               threads=args.threads)
                    t0 = time.time()
                    res = run_isolated(tool, job, args.time_cap)
                    res.update(model=spec.name, size=size, batch=batch,
                               mode=mode, device=args.device, amp=args.amp)
                    results.append(res)
                    print(f'{spec.name:>14} {size:>5} b{batch} {mode:>7}: '
                          f'{res["status"]} {res.get("img_per_s", 0):.3f} '
                          f'img/s, peak {res.get("peak_mem_mb", 0):.0f} MB '
                          f'({time.time() - t0:.0f} s)', flush=True)
    macs = {} if args.no_flops or not specs else count_all_macs(
        specs, args.sizes, args.device)
    fits = fit_all(results, args.fit_min_size)
    refs = [r for r in args.ref if any(s.name == r for s in specs)]
    comparisons = compare(results, refs, macs)
    hco = None
    if args.hco_sweep:
        from rsvheat_mm.analysis.hco import DEFAULT_HCO_SHAPES, hco_sweep
        shapes = ([_parse_shape(s) for s in args.hco_shapes]
                  if args.hco_shapes else DEFAULT_HCO_SHAPES)
        hco = hco_sweep(shapes, device=args.device, repeat=args.repeat)
    text = markdown(results, fits, comparisons, macs, machine, command, hco)
    (out_dir / 'benchmark.md').write_text(text)
    write_json(str(out_dir / 'benchmark.json'), dict(
        machine=machine, command=command, args=vars(args), results=results,
        fits=fits, comparisons=comparisons, hco=hco,
        macs=[dict(model=m, size=s, macs=v) for (m, s), v in macs.items()]))
    why = plot_loglog(str(out_dir / 'benchmark.png'), results, fits)
    print(text)
    if why:
        print(why)
    print(f'wrote {out_dir}/benchmark.md, benchmark.json'
          + ('' if why else ', benchmark.png'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
