"""Tables, fitted exponents, target checks, JSON and the log-log plot."""
import json
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

__all__ = ['fit_exponent', 'fit_all', 'compare', 'markdown', 'write_json',
           'plot_loglog', 'TARGETS']

#: issue 6 targets at 1024 x 1024: baseline -> (min throughput ratio,
#: max peak-memory ratio, max MAC ratio or None)
TARGETS = {'vit-b': (3.0, 0.15, None), 'swin-b': (1.5, 0.50, 1.0)}
#: max fitted exponent of time vs pixels (512 -> 2048) for RSvHeat-base
MAX_EXPONENT = 1.25


def fit_exponent(points: Sequence[Tuple[float, float]]) -> Optional[float]:
    """Least-squares slope of ``log y`` against ``log x`` (None if < 2)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2 or len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx)**2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _ok(r: Dict) -> bool:
    return r.get('status') == 'ok'


def fit_all(results: List[Dict], min_size: int = 512) -> List[Dict]:
    """Exponent of time/img and net memory against pixels per series.

    A series is (model, mode, batch); sizes >= ``min_size`` are used when
    at least two were measured there, else all measured sizes.
    """
    series: Dict[tuple, List[Dict]] = {}
    for r in results:
        if _ok(r):
            series.setdefault((r['model'], r['mode'], r['batch']),
                              []).append(r)
    fits = []
    for (model, mode, batch), rows in sorted(series.items()):
        big = [r for r in rows if r['size'] >= min_size]
        use = big if len({r['size'] for r in big}) >= 2 else rows
        time_e = fit_exponent([(r['size']**2, r['sec_per_iter'] / batch)
                               for r in use])
        mem_e = fit_exponent([(r['size']**2, r['net_mem_mb']) for r in use])
        fits.append(dict(model=model, mode=mode, batch=batch,
                         sizes=sorted(r['size'] for r in use),
                         time_exponent=time_e, mem_exponent=mem_e))
    return fits


def _find(results, model, size, mode, batch) -> Optional[Dict]:
    for r in results:
        if (r['model'], r['size'], r['mode'], r['batch']) == (model, size,
                                                              mode, batch):
            return r
    return None


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b == 0:
        return None
    return a / b


def compare(results: List[Dict], ref: Union[str, Sequence[str]],
            macs: Dict[Tuple[str, int], float]) -> List[Dict]:
    """``ref`` against every other model at every common (size, mode, batch).

    Ratios: ``throughput`` = ref img/s / other img/s; ``memory`` = ref net
    memory / other net memory; ``macs`` = ref MACs / other MACs. A target
    verdict is attached at 1024 px for the baselines in :data:`TARGETS`.
    Several references (a list) are each compared with every model that is
    not an earlier reference (so no pair appears twice).
    """
    if not isinstance(ref, str):
        rows, done = [], []
        for one in ref:
            rows += [row for row in compare(results, one, macs)
                     if row['other'] not in done]
            done.append(one)
        return rows
    rows = []
    for r in results:
        if r['model'] == ref:
            continue
        mine = _find(results, ref, r['size'], r['mode'], r['batch'])
        if mine is None:
            continue
        row = dict(ref=ref, other=r['model'], size=r['size'],
                   mode=r['mode'], batch=r['batch'],
                   ref_status=mine['status'], other_status=r['status'],
                   throughput=_ratio(mine.get('img_per_s'),
                                     r.get('img_per_s')),
                   memory=_ratio(mine.get('net_mem_mb'),
                                 r.get('net_mem_mb')),
                   macs=_ratio(macs.get((ref, r['size'])),
                               macs.get((r['model'], r['size']))))
        if _ok(mine) and not _ok(r):
            row['note'] = f'baseline {r["status"]}, {ref} ran'
        base = r['model'].split('@')[0]
        if r['size'] == 1024 and base in TARGETS:
            t_min, m_max, f_max = TARGETS[base]
            checks = dict(throughput=None if row['throughput'] is None
                          else row['throughput'] >= t_min,
                          memory=None if row['memory'] is None
                          else row['memory'] <= m_max)
            if f_max is not None:
                checks['macs'] = (None if row['macs'] is None else
                                  row['macs'] <= f_max)
            row['target'] = dict(throughput_min=t_min, memory_max=m_max,
                                 macs_max=f_max, met=checks)
        rows.append(row)
    return rows


def _fmt(v, spec: str = '.2f', none: str = '-') -> str:
    return none if v is None else format(v, spec)


def markdown(results: List[Dict], fits: List[Dict], comparisons: List[Dict],
             macs: Dict[Tuple[str, int], float], machine: str,
             command: str, hco: Optional[List[Dict]] = None) -> str:
    """The whole report as markdown."""
    mem_name = ('allocator peak' if any(
        r.get('device', 'cpu').startswith('cuda') for r in results)
                else 'peak RSS of a fresh process')
    lines = [f'Machine: {machine}', '', f'Command: `{command}`', '',
             f'Memory: {mem_name}; *net* = peak minus the process before '
             'the model was built. GMACs: one forward, per image, DCT '
             'matmuls and FFTs included.', '',
             '| model | size | batch | mode | status | img/s | ms/img | '
             'peak MB | net MB | GMACs/img | params M |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        ok = _ok(r)
        m = macs.get((r['model'], r['size']))
        status = r['status'] if ok else (
            f'{r["status"]}: {r.get("message", "")[:60]}')
        lines.append(
            f'| {r["model"]} | {r["size"]} | {r["batch"]} | {r["mode"]} | '
            f'{status} | {_fmt(r.get("img_per_s"), ".3f")} | '
            f'{_fmt(r["sec_per_iter"] * 1e3 / r["batch"], ".1f") if ok else "-"}'
            f' | {_fmt(r.get("peak_mem_mb"), ".0f")} | '
            f'{_fmt(r.get("net_mem_mb"), ".0f")} | '
            f'{_fmt(None if m is None else m / 1e9, ".4g")} | '
            f'{_fmt(r.get("params_m"), ".1f")} |')
    lines += ['', '**Fitted exponents** (cost ~ pixels^e)', '',
              '| model | mode | batch | sizes | time e | net-memory e |',
              '|---|---|---|---|---|---|']
    for f in fits:
        lines.append(f'| {f["model"]} | {f["mode"]} | {f["batch"]} | '
                     f'{",".join(map(str, f["sizes"]))} | '
                     f'{_fmt(f["time_exponent"])} | '
                     f'{_fmt(f["mem_exponent"])} |')
    if comparisons:
        lines += ['', '**Side by side** (ratios: reference / baseline; '
                  'throughput > 1 and memory, MACs < 1 favour the '
                  'reference)', '',
                  '| reference | baseline | size | batch | mode | '
                  'throughput x | memory x | MACs x | target at 1024 |',
                  '|---|---|---|---|---|---|---|---|---|']
        for c in comparisons:
            target = c.get('note', '')
            if 'target' in c:
                t = c['target']
                verdict = ', '.join(
                    f'{k} {"met" if v else ("n/a" if v is None else "MISSED")}'
                    for k, v in t['met'].items())
                target = (f'>= {t["throughput_min"]}x thr, <= '
                          f'{t["memory_max"]:.0%} mem'
                          + (f', <= {t["macs_max"]}x MACs'
                             if t['macs_max'] else '') + f': {verdict}')
            lines.append(f'| {c["ref"]} | {c["other"]} | {c["size"]} | '
                         f'{c["batch"]} | {c["mode"]} | '
                         f'{_fmt(c["throughput"])} | {_fmt(c["memory"])} | '
                         f'{_fmt(c["macs"])} | {target} |')
    if hco:
        lines += ['', '**HCO paths** (one heat transform, ms; auto = the '
                  'path `method="auto"` picks)', '',
                  '| H x W x C | batch | matrix ms | fft ms | auto picks | '
                  'auto is fastest | rel err fft vs fp64 |',
                  '|---|---|---|---|---|---|---|']
        for h in hco:
            lines.append(
                f'| {h["h"]} x {h["w"]} x {h["c"]} | {h["batch"]} | '
                f'{h["matrix_ms"]:.2f} | {h["fft_ms"]:.2f} | {h["auto"]} | '
                f'{"yes" if h["auto_is_fastest"] else "NO"} | '
                f'{h["rel_err_fft"]:.1e} |')
    return '\n'.join(lines) + '\n'


def write_json(path: str, payload: Dict) -> None:
    """Write ``payload`` (results, fits, comparisons, ...) as JSON."""
    with open(path, 'w') as f:
        json.dump(payload, f, indent=1, sort_keys=True)


def plot_loglog(path: str, results: List[Dict],
                fits: List[Dict]) -> Optional[str]:
    """Log-log PNG of ms/img and net memory against pixels per series.

    Returns None on success, or why no PNG was written (matplotlib absent).
    """
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError as err:
        return f'matplotlib not importable ({err}); no PNG written'
    fit_of = {(f['model'], f['mode'], f['batch']): f for f in fits}
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    series: Dict[tuple, List[Dict]] = {}
    for r in results:
        if _ok(r):
            series.setdefault((r['model'], r['mode'], r['batch']),
                              []).append(r)
    for key, rows in sorted(series.items()):
        rows = sorted(rows, key=lambda r: r['size'])
        px = [r['size']**2 for r in rows]
        f = fit_of.get(key, {})
        label = f'{key[0]} {key[1]} b{key[2]}'
        axes[0].loglog(px, [r['sec_per_iter'] * 1e3 / key[2] for r in rows],
                       'o-', label=f'{label} (e={_fmt(f.get("time_exponent"))})')
        axes[1].loglog(px, [max(r['net_mem_mb'], 1e-3) for r in rows], 'o-',
                       label=f'{label} (e={_fmt(f.get("mem_exponent"))})')
    axes[0].set(xlabel='pixels', ylabel='ms per image',
                title='time vs pixels (fitted exponent e)')
    axes[1].set(xlabel='pixels', ylabel='net peak memory (MB)',
                title='memory vs pixels (fitted exponent e)')
    for ax in axes:
        ax.grid(True, which='both', alpha=.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
