#!/usr/bin/env bash
# The GPU benchmark of docs/benchmarks.md in one call, sized for a short lease
# (about 6 minutes on an H100 / H200): side-by-side forward sweep, training
# step, HCO path sweep (the CUDA FFT threshold) and a bf16 check.
#
#   bash tools/analysis_tools/gpu_benchmark.sh OUT_DIR
#
# Writes OUT_DIR/fwd/benchmark.{md,json,png}, OUT_DIR/{train,bf16}/benchmark.
# {md,json} and OUT_DIR/log.txt: 8 files, what one device call brings back.
# Environment overrides (for a dry run on the CPU with tiny models, as the
# test suite does): DEVICE (cuda), FWD_MODELS, TRAIN_MODELS, BF16_MODELS,
# SIZES, TRAIN_SIZES, BATCH, REPEAT, WARMUP, TIME_CAP, HCO_SHAPES, PYTHON.
set -uo pipefail
out=${1:?usage: gpu_benchmark.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
device=${DEVICE:-cuda}
fwd_models=${FWD_MODELS:-rsvheat-b rsvheat-b-lean swin-b swin-b-win32 vit-b vit-b-win}
train_models=${TRAIN_MODELS:-rsvheat-b swin-b vit-b}
bf16_models=${BF16_MODELS:-rsvheat-b rsvheat-b-lean swin-b vit-b}
sizes=${SIZES:-512 1024 2048}
train_sizes=${TRAIN_SIZES:-512 1024}
batch=${BATCH:-8}
common=(--device "$device" --repeat "${REPEAT:-10}" --warmup "${WARMUP:-3}"
        --time-cap "${TIME_CAP:-20}")
mkdir -p "$out"
log="$out/log.txt"
status=0
run() {  # name, extra args...
  local name=$1; shift
  echo "== $name: $*" | tee -a "$log"
  PYTHONUNBUFFERED=1 "$py" "$here/benchmark.py" "${common[@]}" \
    --out-dir "$out/$name" "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
    2>/dev/null || true; } | tee -a "$log"
# shellcheck disable=SC2086
run fwd --models $fwd_models --sizes $sizes --batch $batch --modes fwd \
  --hco-sweep ${HCO_SHAPES:+--hco-shapes $HCO_SHAPES}
# shellcheck disable=SC2086
run train --models $train_models --sizes $train_sizes --batch $batch \
  --modes fwd+bwd --no-flops
# shellcheck disable=SC2086
run bf16 --models $bf16_models --sizes 1024 --batch $batch --modes fwd \
  --amp bf16 --no-flops
# the two short sweeps' plots add nothing to their tables
rm -f "$out/train/benchmark.png" "$out/bf16/benchmark.png"
exit $status
