"""Dump every config of a tree as canonical JSON, or compare two dumps.

A refactor of the config tree (new ``_base_`` files, host bases inherited
instead of restated) must not change what the configs say. This tool makes
that checkable: it loads every config below a folder with
``mmengine.Config.fromfile`` and writes ``Config.to_dict()`` as sorted,
indented JSON, one file per config; ``--compare`` then reports, per config,
which top-level keys differ between two such dumps.

Examples::

    # before: the committed tree, exported without touching git metadata
    mkdir -p /tmp/cfg_before
    git archive HEAD configs | tar -x -C /tmp/cfg_before
    python tools/analysis_tools/dump_configs.py /tmp/cfg_before/configs \\
        /tmp/dump_before
    # after: the working tree
    python tools/analysis_tools/dump_configs.py configs /tmp/dump_after
    python tools/analysis_tools/dump_configs.py --compare /tmp/dump_before \\
        /tmp/dump_after

Canonical form: dict keys sorted; a tuple is written as
``{"__tuple__": [...]}`` so that ``(0, 1)`` and ``[0, 1]`` stay different
(tests and transforms compare them); other values JSON cannot hold are
written as ``repr`` strings. Values are compared as canonical JSON text, so
``0`` (int) and ``0.0`` (float) also count as different.

Exit status: dump mode 0 if every config loaded, 1 if any failed (the others
are still written); compare mode 1 if a config is missing on one side or any
of ``model``, ``optim_wrapper``, ``param_scheduler``, ``train_cfg`` differs,
else 0 (other differing keys are printed but do not fail); 2 for bad
arguments.
"""
import argparse
import json
import os
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

#: Top-level keys whose difference fails ``--compare``: they decide what is
#: built and how it is trained.
CRITICAL_KEYS = ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg')
#: Keys that only record where a config was read from.
PATH_KEYS = ('filename', 'cfg_path', 'work_dir')
SUFFIX = '.json'


def canonical(value: Any) -> Any:
    """Turn a config value into a JSON-ready, order-independent form.

    Args:
        value: A value of ``Config.to_dict()`` (nested dicts, lists,
            tuples, scalars, anything else).

    Returns:
        The same data with dict keys as strings (non-string keys become
        ``'repr:' + repr(key)``), tuples as ``{'__tuple__': [...]}`` and
        values JSON cannot hold as ``repr`` strings.
    """
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else 'repr:' + repr(k)): canonical(v)
                for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [canonical(v) for v in value]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def to_json(data: Any) -> str:
    """Canonical JSON text of ``data`` (sorted keys, ``repr`` fallback)."""
    return json.dumps(canonical(data), sort_keys=True, indent=1,
                      default=repr, ensure_ascii=False)


def find_configs(cfg_dir: Path, exclude: Iterable[str]) -> List[Path]:
    """Config files below ``cfg_dir``, sorted, skipping excluded folders.

    Args:
        cfg_dir: Root of a config tree (e.g. ``configs``).
        exclude: Folder names to skip wherever they occur (``_base_``).

    Returns:
        The ``*.py`` files (``__init__.py`` excluded) as paths relative to
        ``cfg_dir``.
    """
    skip = set(exclude)
    found = []
    for path in sorted(cfg_dir.rglob('*.py')):
        rel = path.relative_to(cfg_dir)
        if path.name == '__init__.py' or skip & set(rel.parts[:-1]):
            continue
        found.append(rel)
    return found


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + '.',
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text + '\n')
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dump(cfg_dir: Path, out_dir: Path, exclude: Iterable[str],
         ignore_keys: Iterable[str], custom_imports: bool = True) -> int:
    """Dump every config below ``cfg_dir`` into ``out_dir``.

    Args:
        cfg_dir: Config tree to read.
        out_dir: Output folder; ``<rel path>.py`` becomes
            ``<rel path>.py.json`` there.
        exclude: Folder names to skip (see :func:`find_configs`).
        ignore_keys: Top-level keys left out of the dump (path-only keys).
        custom_imports: Import the configs' ``custom_imports`` (as
            training does). The dicts do not depend on it; ``False`` dumps
            a tree while the imported package is broken.

    Returns:
        The exit status: 0 if every config loaded, else 1.
    """
    # mmengine 0.10 resolves `pkg::` bases through pkg_resources, which warns
    # once per import; the warning says nothing about the configs
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
    from mmengine.config import Config
    if not cfg_dir.is_dir():
        raise SystemExit(f'error: config folder {cfg_dir} does not exist')
    configs = find_configs(cfg_dir, exclude)
    if not configs:
        raise SystemExit(f'error: no *.py configs below {cfg_dir} '
                         f'(excluding {sorted(exclude)})')
    failed = []
    for rel in configs:
        try:
            data = Config.fromfile(
                str(cfg_dir / rel),
                import_custom_modules=custom_imports).to_dict()
        except Exception as exc:  # report every broken config, not the 1st
            failed.append(rel)
            print(f'FAILED {rel}: {type(exc).__name__}: {exc}',
                  file=sys.stderr)
            traceback.print_exc(limit=-3, file=sys.stderr)
            continue
        for key in ignore_keys:
            data.pop(key, None)
        write_atomic(out_dir / (str(rel) + SUFFIX), to_json(data))
        print(f'dumped {rel} ({len(data)} keys)')
    print(f'{len(configs) - len(failed)} of {len(configs)} configs dumped '
          f'to {out_dir}')
    return 1 if failed else 0


def _load_dump(root: Path) -> Dict[str, dict]:
    if not root.is_dir():
        raise SystemExit(f'error: dump folder {root} does not exist')
    dumps = {}
    for path in sorted(root.rglob('*' + SUFFIX)):
        rel = str(path.relative_to(root))[:-len(SUFFIX)]
        try:
            dumps[rel] = json.loads(path.read_text(encoding='utf-8'))
        except json.JSONDecodeError as exc:
            raise SystemExit(f'error: {path} is not a dump of this tool: '
                             f'{exc}')
    if not dumps:
        raise SystemExit(f'error: no *{SUFFIX} dumps below {root}')
    return dumps


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def value_diff(a: Any, b: Any, path: str = '',
               limit: int = 20) -> List[str]:
    """Human-readable leaf differences between two canonical values.

    Args:
        a: Value on side A.
        b: Value on side B.
        path: Dotted path of ``a`` / ``b`` (for the messages).
        limit: Most lines returned.

    Returns:
        Lines ``path: A -> B`` (``<absent>`` for a missing key).
    """
    out: List[str] = []

    def walk(x, y, p):
        if len(out) >= limit or _text(x) == _text(y):
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k, '<absent>'), y.get(k, '<absent>'),
                     f'{p}.{k}' if p else k)
        elif (isinstance(x, list) and isinstance(y, list)
              and len(x) == len(y)):
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f'{p}[{i}]')
        else:
            out.append(f'{p}: {_text(x)[:200]} -> {_text(y)[:200]}')

    walk(a, b, path)
    return out


def strip_scope(value: Any, scope: Optional[str]) -> Any:
    """Drop ``_scope_`` entries equal to ``scope`` from a canonical value.

    mmengine writes ``_scope_=<pkg>`` into the dicts it reads from a
    ``<pkg>::`` base. Where ``<pkg>`` is also the config's
    ``default_scope`` such an entry selects the registry that is used
    anyway, so it does not change what is built.

    Args:
        value: A canonical value (see :func:`canonical`).
        scope: The config's ``default_scope``; ``None`` strips nothing.

    Returns:
        A copy of ``value`` without those entries.
    """
    if isinstance(value, dict):
        return {k: strip_scope(v, scope) for k, v in value.items()
                if not (k == '_scope_' and scope is not None and v == scope)}
    if isinstance(value, list):
        return [strip_scope(v, scope) for v in value]
    return value


def compare(dir_a: Path, dir_b: Path, critical: Tuple[str, ...],
            verbose: bool, ignore_default_scope: bool = False) -> int:
    """Compare two dump folders config by config.

    Args:
        dir_a: Dumps of the reference tree (e.g. before a refactor).
        dir_b: Dumps of the tree under test.
        critical: Top-level keys whose difference fails the comparison.
        verbose: Also print the differing leaves of every differing key.
        ignore_default_scope: Compare without the ``_scope_`` entries that
            equal the config's ``default_scope`` (see :func:`strip_scope`).

    Returns:
        The exit status: 1 if a config exists on one side only or a
        critical key differs, else 0.
    """
    a, b = _load_dump(dir_a), _load_dump(dir_b)
    status = 0
    for rel in sorted(set(a) | set(b)):
        if rel not in b or rel not in a:
            side = 'B' if rel not in b else 'A'
            print(f'MISSING {rel}: no dump in {side}')
            status = 1
            continue
        ca, cb = a[rel], b[rel]
        if ignore_default_scope:
            ca = strip_scope(ca, ca.get('default_scope'))
            cb = strip_scope(cb, cb.get('default_scope'))
        keys = sorted(set(ca) | set(cb))
        diff = [k for k in keys if _text(ca.get(k, '<absent>')) !=
                _text(cb.get(k, '<absent>'))]
        if not diff:
            print(f'SAME    {rel}')
            continue
        bad = [k for k in diff if k in critical]
        status = 1 if bad else status
        notes = []
        for k in diff:
            where = (' (only in A)' if k not in cb else
                     ' (only in B)' if k not in ca else '')
            notes.append(k + where)
        print(f"{'DIFFER ' if bad else 'differ '} {rel}: {', '.join(notes)}")
        if verbose or bad:
            for k in diff:
                for line in value_diff(ca.get(k, '<absent>'),
                                       cb.get(k, '<absent>'), k):
                    print(f'        {line}')
    print('result: ' + ('critical keys differ or configs are missing'
                        if status else
                        f'no differences in {", ".join(critical)}'))
    return status


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Dump Config.fromfile(...).to_dict() of every config '
        'below a folder as sorted JSON, or compare two dump folders.',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Dump: %(prog)s CONFIG_DIR OUT_DIR\n'
        'Compare: %(prog)s --compare DUMP_A DUMP_B')
    parser.add_argument('paths', nargs='*', metavar='DIR',
                        help='CONFIG_DIR OUT_DIR (dump mode)')
    parser.add_argument('--compare', nargs=2, metavar=('DIR_A', 'DIR_B'),
                        help='compare two dump folders instead of dumping')
    parser.add_argument('--exclude', nargs='*', default=['_base_'],
                        help='folder names not dumped (default: _base_)')
    parser.add_argument('--ignore-keys', nargs='*', default=list(PATH_KEYS),
                        help='top-level keys left out of the dumps '
                        f'(default: {" ".join(PATH_KEYS)})')
    parser.add_argument('--critical', nargs='*', default=list(CRITICAL_KEYS),
                        help='keys whose difference fails --compare '
                        f'(default: {" ".join(CRITICAL_KEYS)})')
    parser.add_argument('--skip-custom-imports', action='store_true',
                        help='dump mode: do not import the configs\' '
                        'custom_imports (the dicts are the same; use it '
                        'while the imported package does not import)')
    parser.add_argument('--ignore-default-scope', action='store_true',
                        help='--compare: leave out _scope_ entries equal to '
                        'the config\'s default_scope (mmengine adds them to '
                        'what a pkg:: base defines; they select the registry '
                        'used anyway)')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='--compare: print the differing leaves of '
                        'every differing key (always done for critical '
                        'keys)')
    args = parser.parse_args(argv)
    if args.compare and args.paths:
        parser.error('give either --compare DIR_A DIR_B or CONFIG_DIR '
                     'OUT_DIR, not both')
    if not args.compare and len(args.paths) != 2:
        parser.error('dump mode needs CONFIG_DIR and OUT_DIR '
                     f'(got {len(args.paths)} paths)')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]),
                       tuple(args.critical), args.verbose,
                       args.ignore_default_scope)
    return dump(Path(args.paths[0]), Path(args.paths[1]), args.exclude,
                args.ignore_keys, not args.skip_custom_imports)


if __name__ == '__main__':
    sys.exit(main())
