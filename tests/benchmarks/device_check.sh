#!/usr/bin/env bash
# The GPU figures issue 18 asks for, as one script to run on a machine with a
# GPU and a CUDA build of dictlab (docs/cuda.md), from the repository root:
#   bash tests/benchmarks/device_check.sh [BUILD_DIR] [DEVICE] [PYTHON]
# (defaults: build-cuda, cuda, python3 with PyTorch). It prints JSON lines:
#   1. TopK k=32's training step at 4096 and 131072 features on DEVICE, as
#      `device = DEVICE` trains it (sae_bench device), activations per second;
#   2. the same step in PyTorch-Python on DEVICE in the same run (pytorch_sae.py);
#   3. each one's peak GPU memory, sampled by nvidia-smi every 100 ms (the
#      whole process: the CUDA context included);
#   4. a short end-to-end run with [experiment] device = DEVICE
#      (device_end_to_end.toml: toy model, one dictionary of each
#      architecture, sae_metrics of each), its stages' times and each
#      dictionary's loss recovered (the whole output in $DICTLAB_CHECK_LOG).
# With DEVICE = cpu it runs anywhere (no memory sampling).
set -euo pipefail
build="${1:-build-cuda}"
device="${2:-cuda}"
python="${3:-python3}"
here="$(cd "$(dirname "$0")" && pwd)"
read -r -a sizes <<<"${DICTLAB_CHECK_SIZES:-4096 131072}"  # smaller ones to try the script on a CPU

# Runs a command while nvidia-smi samples the memory in use; prints the peak.
# A part that fails says so and the next one still runs.
peak_memory() {
  local log status=0 sampler=""
  log="$(mktemp)"
  if [[ "$device" == cuda* ]] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$log" &
    sampler=$!
  fi
  "$@" || status=$?
  if [ -n "$sampler" ]; then kill "$sampler"; wait "$sampler" 2>/dev/null || true; fi
  [ -s "$log" ] && echo "{\"what\": \"peak GPU memory of: $*\", \"mib\": $(sort -n "$log" | tail -1)}"
  [ "$status" -eq 0 ] || echo "{\"what\": \"failed ($status): $*\"}"
  rm -f "$log"
}

[[ "$device" == cuda* ]] && command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
peak_memory "$build/sae_bench" device "$device" "${sizes[@]}"
peak_memory "$python" "$here/pytorch_sae.py" 9 --device "$device" --only "TopK k=32" --features "${sizes[@]}"

experiment="$(mktemp --suffix=.toml)"
sed "s/^device = \"cpu\"/device = \"$device\"/" "$here/device_end_to_end.toml" >"$experiment"
rm -rf /tmp/dictlab-device-end-to-end
log="${DICTLAB_CHECK_LOG:-$(mktemp)}"  # the run's whole output
start=$(date +%s)
"$build/dictlab" run "$experiment" >"$log" 2>&1 || echo "{\"what\": \"end-to-end run failed ($?), its output: $log\"}"
grep -E "stage .*(done|failed)|loss_recovered|error" "$log" || true
echo "{\"what\": \"end-to-end run on $device\", \"seconds\": $(( $(date +%s) - start ))}"
rm -f "$experiment"
