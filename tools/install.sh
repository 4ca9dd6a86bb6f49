#!/usr/bin/env bash
# One-command setup for rsvheat_mm (called by `make install`).
#
# Creates .venv/ in the repository root with the pinned stack, builds mmcv 2.1.0
# once per (python, torch) into a wheel cache keyed by the torch version, installs
# rsvheat_mm as a develop (egg-link) install and proves the result by importing
# every toolbox and checking where `mim` will look for the configs and tools.
# Idempotent: when the stamp matches the pinned inputs it only re-checks imports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${RSVHEAT_VENV:-$ROOT/.venv}"
PY_BOOT="${PYTHON:-python3.11}"
command -v "$PY_BOOT" >/dev/null 2>&1 || PY_BOOT=python3
CACHE="${RSVHEAT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rsvheat_mm/wheels}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
STAMP="$VENV/.rsvheat_install_stamp"
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
MMCV_VERSION=2.1.0

log() { printf '[install] %s\n' "$*"; }

# Hash of everything that decides what gets installed.
want_stamp="$(cat "$CONSTRAINTS" "$ROOT/requirements/runtime.txt" "$ROOT/requirements/tests.txt" \
  "$ROOT/setup.cfg" "$ROOT/tools/install.sh" | sha256sum | cut -c1-16)"

check_imports() {
  "$VENV/bin/python" - <<'PY'
import importlib, sys
mods = ['mmcv.ops', 'mmdet.models', 'mmseg.models', 'mmrotate.models',
        'mmpretrain.models', 'rsvheat_mm']
for m in mods:
    importlib.import_module(m)
import torch, mmcv
print(f'[install] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'imports {", ".join(mods)}')
PY
}

# What `mim train|test rsvheat_mm` needs: the distribution's location must
# hold rsvheat_mm/.mim/{configs,tools} (see develop_install below).
check_mim_location() {
  "$VENV/bin/python" -W ignore - <<'PY'
import os.path as osp
import pkg_resources
loc = pkg_resources.get_distribution('rsvheat_mm').location
train = osp.join(loc, 'rsvheat_mm', '.mim', 'tools', 'train.py')
if not osp.isfile(train):
    raise SystemExit(f'[install] mim would look for {train}, which does not '
                     f'exist: rsvheat_mm is not a develop install')
print(f'[install] ok: mim finds rsvheat_mm at {loc}')
PY
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]] && check_imports \
    && check_mim_location; then
  log "environment up to date ($VENV)"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $($PY_BOOT --version)"
  "$PY_BOOT" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-180}"

# 1. torch + torchvision as a matched pair from the package index. The machine's
#    pip config points at a local CPU-only torch wheel which breaks PyPI's
#    torchvision ("operator torchvision::nms does not exist"): ignore it here.
pip_index() {
  local cert=()
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && cert=(--cert /etc/ssl/certs/ca-certificates.crt)
  env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null "${PIP[@]}" "$@" "${cert[@]}"
}
have_torch="$("$VENV/bin/python" -c 'import torch, torchvision; print(torch.__version__.split("+")[0], torchvision.__version__.split("+")[0])' 2>/dev/null || true)"
if [[ "$have_torch" != "$TORCH_VERSION $TORCHVISION_VERSION" ]]; then
  log "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION from the index"
  pip_index install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
"$VENV/bin/python" -c 'import torchvision.ops; import torch; torchvision.ops.nms(torch.zeros(1,4), torch.zeros(1), 0.5)'

# 2. build tools for mmcv (pkg_resources needs setuptools<82)
pip_index install -c "$CONSTRAINTS" "setuptools>=77.0.3,<82" wheel ninja packaging

# 3. mmcv 2.1.0, built once per (python, torch) and cached under that key.
torch_full="$("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
py_tag="$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
key_dir="$CACHE/mmcv-$MMCV_VERSION/$py_tag-torch-$torch_full"
mmcv_ok() { "$VENV/bin/python" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "'"$MMCV_VERSION"'"' >/dev/null 2>&1; }
if ! mmcv_ok; then
  wheel="$(ls "$key_dir"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$wheel" ]]; then
    log "building mmcv $MMCV_VERSION with ops against torch $torch_full (about 15 min on 2 cores)"
    mkdir -p "$key_dir.tmp"
    # --no-cache-dir: pip's own wheel cache would reuse an mmcv built against another torch.
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      pip_index wheel --no-deps --no-build-isolation --no-cache-dir --no-binary mmcv \
      -w "$key_dir.tmp" "mmcv==$MMCV_VERSION"
    mkdir -p "$key_dir"
    mv "$key_dir.tmp"/mmcv-*.whl "$key_dir"/
    rm -rf "$key_dir.tmp"
    wheel="$(ls "$key_dir"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
  else
    log "using cached mmcv wheel $wheel"
  fi
  pip_index install --no-cache-dir -c "$CONSTRAINTS" "$wheel"
  if ! mmcv_ok; then
    log "cached mmcv wheel does not import against torch $torch_full; removing it, run again"
    rm -f "$wheel"; exit 1
  fi
fi

# 4. the toolboxes, test tools and rsvheat_mm itself (editable)
pip_index install -c "$CONSTRAINTS" -r requirements/runtime.txt -r requirements/tests.txt
# rsvheat_mm as a develop (egg-link) install. `mim train|test rsvheat_mm ...`
# (openmim 0.3.9, mim/utils/utils.py get_installed_path) looks for the
# configs and tools at pkg_resources.get_distribution('rsvheat_mm').location
# + '/rsvheat_mm/.mim'. A PEP 660 editable install (any mode, also `compat`)
# puts the .dist-info in site-packages, so that location is site-packages,
# where rsvheat_mm/ does not exist. Only a develop install puts the location
# in the repository: easy-install.pth adds the repository to sys.path and
# rsvheat_mm.egg-info lies there. setuptools >= 80 turned `develop` into
# `pip install -e` (PEP 660) and pip >= 25.3 no longer calls `develop`, so
# setuptools 79's develop runs straight from a private copy; the venv keeps
# its own setuptools.
develop_install() {
  local overlay
  overlay="$(mktemp -d)"
  pip_index install -q --no-deps --target "$overlay" "setuptools>=77.0.3,<80"
  # an earlier install of any kind (PEP 660 finder, old egg-link) goes first
  "${PIP[@]}" uninstall -y -q rsvheat_mm >/dev/null 2>&1 || true
  if ! PYTHONPATH="$overlay" "$VENV/bin/python" setup.py -q develop --no-deps \
      >"$overlay/develop.log" 2>&1; then
    cat "$overlay/develop.log"; rm -rf "$overlay"; return 1
  fi
  rm -rf "$overlay"
}
develop_install

# 5. prove it
"${PIP[@]}" check
check_imports
check_mim_location
echo "$want_stamp" > "$STAMP"
log "done: activate with 'source $VENV/bin/activate'"
