#!/usr/bin/env bash
# Two ranks against one process on a device, as on the CPU the data-parallel
# tests check (tests/distributed): device_end_to_end.toml with `device` set
# to DEVICE ("cuda:0" puts both ranks on the first GPU; "cuda" gives each
# rank its own), trained by one process for DICTLAB_CHECK_STEPS steps (20),
# then its dictionaries trained again by two ranks on loopback, then its
# model; every weight compared. Run from
# the repository root on a machine with a GPU and a CUDA build (docs/cuda.md):
#   bash tests/benchmarks/device_data_parallel.sh [BUILD_DIR] [DEVICE] [PYTHON]
# Prints one JSON line per stage: the largest difference of any weight.
set -euo pipefail
build="${1:-build-cuda}"
device="${2:-cuda:0}"
python="${3:-python3}"
here="$(cd "$(dirname "$0")" && pwd)"
run=/tmp/dictlab-device-data-parallel
experiment="$(mktemp --suffix=.toml)"
# 20 steps: long enough to check every step's collectives, short enough
# that float rounding has not been amplified (JumpReLU's thresholds flip
# codes, Adam scales tiny gradients up) into differences that hide a bug.
steps="${DICTLAB_CHECK_STEPS:-20}"
sed "s/^device = \"cpu\"/device = \"$device\"/; s|^run_dir = .*|run_dir = \"$run\"|; s/^steps = 200/steps = $steps/" \
  "$here/device_end_to_end.toml" >"$experiment"

# Prints the largest weight difference of each file matching GLOB between
# the one-process run and the ranks' run: compare WHAT GLOB.
compare() {
  "$python" - "$run.one" "$run" "$1" "$2" <<'EOF'
import json, pathlib, sys
import numpy
from safetensors.numpy import load_file
one, ranks, what, pattern = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]
for file in sorted(one.glob(pattern)):
    a, b = load_file(file), load_file(ranks / file.relative_to(one))
    largest = max(float(numpy.abs(a[k].astype(numpy.float64) - b[k].astype(numpy.float64)).max()) for k in a)
    print(json.dumps({"what": what, "file": str(file.relative_to(one)), "largest_difference": largest}))
EOF
}

# Two ranks on loopback, each with its own output.
two_ranks() {
  local port=$((29600 + RANDOM % 300)) rank
  for rank in 0 1; do
    WORLD_SIZE=2 RANK=$rank LOCAL_RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$build/dictlab" run "$experiment" "$@" >"$run.rank$rank.log" 2>&1 &
  done
  local status=0
  wait -n || status=$?
  wait -n || status=$?
  [ "$status" -eq 0 ] || { echo "{\"what\": \"two ranks failed\"}"; tail -5 "$run".rank*.log; return 1; }
}

rm -rf "$run" "$run.one"
start=$(date +%s)
"$build/dictlab" run "$experiment" >"$run.one.log" 2>&1
echo "{\"what\": \"one process on $device\", \"seconds\": $(( $(date +%s) - start ))}"
cp -r "$run" "$run.one"

dictionaries=(sae sae_l1 sae_batchtopk sae_matryoshka sae_jumprelu transcoder)
start=$(date +%s)
two_ranks $(printf -- '--force %s ' "${dictionaries[@]}")
echo "{\"what\": \"the dictionaries on two ranks on $device\", \"seconds\": $(( $(date +%s) - start ))}"
compare "dictionaries: 2 ranks against 1 process" "stages/*/sae_weights.safetensors"

start=$(date +%s)
two_ranks --force model
echo "{\"what\": \"the model on two ranks on $device\", \"seconds\": $(( $(date +%s) - start ))}"
compare "the model: 2 ranks against 1 process" "stages/model/*.safetensors"
rm -f "$experiment"
