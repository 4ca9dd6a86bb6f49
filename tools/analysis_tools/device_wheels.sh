#!/usr/bin/env bash
# Fetch the few pure-Python wheels that tools/analysis_tools/benchmark.py needs
# on a GPU machine that already has torch, numpy, matplotlib, opencv, rich,
# einops and pyyaml but no package index (the lent device machines).
#
#   tools/analysis_tools/device_wheels.sh [DEST] [PYTHON_VERSION]
#
# DEST defaults to .whl (add it to .git/info/exclude and carry it), the target
# Python to 3.12. On the GPU machine:
#   python3 -m pip install -q --no-index --no-deps --no-compile \
#       --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
#   export PYTHONPATH=/tmp/site
#   bash tools/analysis_tools/gpu_benchmark.sh "$OUT"
#
# mmcv-lite is mmcv without compiled ops (all that mmpretrain's Swin / ViT
# need); the versions are the project's pins (requirements/constraints.txt)
# and those `make install` resolves for the helpers.
set -euo pipefail
dest=${1:-.whl}
pyver=${2:-3.12}
wheels=(
  mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0
  addict==2.4.0 yapf==0.43.0 platformdirs==4.14.8 termcolor==3.3.0
  importlib-metadata==8.7.0 mat4py==0.6.0 modelindex==0.0.2
  model-index==0.1.11 ordered-set==4.1.0
)
mkdir -p "$dest"
# ignore the machine's local torch wheel index: these are all on PyPI
env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  python3 -m pip download -q --no-deps --only-binary=:all: \
  --python-version "$pyver" --implementation cp --platform any \
  --platform manylinux2014_x86_64 -d "$dest" "${wheels[@]}"
ls -1 "$dest"
echo "wheels for Python $pyver in $dest ($(du -sh "$dest" | cut -f1))"
