#!/usr/bin/env bash
# One pass against one stage per dictionary, in the same run: four TopK
# dictionaries (k = 8, 16, 32, 64; the quickstart's 2048 features, 300 steps
# of 2048 activations) harvested from the quickstart's model, trained first
# as four stages, then as one pass. Prints both wall times, their ratio, and
# the largest weight difference between the two (0: the same dictionaries).
# Needs the quickstart's run (bash .ci/quickstart).
# Usage: one_pass_bench.sh BUILD_DIR [QUICKSTART_RUN_DIR]
set -euo pipefail
build=$1
quickstart=${2:-runs/quickstart}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/run/stages"
cp -r "$quickstart/.dictlab-run" "$work/run/"
for stage in corpus tokens model; do cp -r "$quickstart/stages/$stage" "$work/run/stages/"; done

experiment() {  # $1: the one_pass line or nothing
  # The quickstart's corpus, tokens and model stages, as they are (so they are up to date).
  awk -v RS= -v ORS='\n\n' '/^\[\[stage\]\]\nname = "(corpus|tokens|model)"\n/' "$root/experiments/quickstart.toml"
  cat <<TOML
[[stage]]
name = "topk_{k}"
plugin = "sae_topk"
inputs = ["model", "tokens"]
d_sae = 2048
k = "{k}"
steps = 300
batch_size = 2048
log_interval = 100
$1
sweep.k = [8, 16, 32, 64]
TOML
}
{ printf '[experiment]\nname = "one_pass_bench"\nrun_dir = "%s"\n\n' "$work/run"; experiment ""; } > "$work/alone.toml"
{ printf '[experiment]\nname = "one_pass_bench"\nrun_dir = "%s"\n\n' "$work/run"; experiment 'one_pass = "k"'; } > "$work/pass.toml"

seconds() {
  local start=$(date +%s%N)
  "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log"; exit 1; }
  awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.1f", ns / 1e9 }'
}
alone=$(seconds "$build/dictlab" run "$work/alone.toml")
for k in 8 16 32 64; do cp "$work/run/stages/topk_$k/sae_weights.safetensors" "$work/alone_$k.safetensors"; done
pass=$(seconds "$build/dictlab" run "$work/pass.toml" --force topk_8 --force topk_16 --force topk_32 --force topk_64)
grep -q "in the same pass" "$work/last.log" || { echo "the second run did not train in one pass"; cat "$work/last.log"; exit 1; }
awk -v alone="$alone" -v pass="$pass" 'BEGIN { printf "four stages: %.1f s\none pass:    %.1f s\nstages / pass: %.2fx\n", alone, pass, alone / pass }'
python3 - "$work" <<'PY'
import json, struct, sys
def tensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == '__metadata__': continue
        a, b = t['data_offsets']
        out[name] = struct.unpack(f'<{(b - a) // 4}f', data[8 + n + a:8 + n + b]) if t['dtype'] == 'F32' else data[8 + n + a:8 + n + b]
    return out
work = sys.argv[1]
largest = 0.0
for k in (8, 16, 32, 64):
    a, b = tensors(f'{work}/alone_{k}.safetensors'), tensors(f'{work}/run/stages/topk_{k}/sae_weights.safetensors')
    for name in a:
        largest = max(largest, max((abs(x - y) for x, y in zip(a[name], b[name])), default=0.0) if isinstance(a[name], tuple) else float(a[name] != b[name]))
print(f'largest weight difference, one pass against four stages: {largest:.3g}')
PY
