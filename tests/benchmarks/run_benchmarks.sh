#!/usr/bin/env bash
# Prints dictlab's benchmark figures, each beside its baseline measured in the
# same run on the same machine. Usage: run_benchmarks.sh BUILD_DIR [STEPS]
set -euo pipefail
build=$1
steps=${2:-40}
here=$(dirname "$0")

# Debian's interpreter, where python3-torch lives (not a pyenv or venv one).
python=/usr/bin/python3
$python -c "import torch" 2>/dev/null || { echo "needs Debian's python3-torch for the PyTorch baseline"; exit 1; }

compare() {  # $1: label; the environment is the caller's
  local ours theirs
  ours=$("$build/toy_transformer_bench" "$steps")
  theirs=$($python "$here/pytorch_toy_transformer.py" "$steps")
  echo "  $1"
  echo "    $ours"
  echo "    $theirs"
  $python - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = (json.loads(a) for a in sys.argv[1:3])
print(f"    dictlab / PyTorch throughput: {ours['tokens_per_second'] / theirs['tokens_per_second']:.2f}x")
PY
}

echo "toy transformer training, d_model 128, d_mlp 512, vocab 4096, context 128, batch 32 ($steps steps):"
# OpenMP threads that spin while they wait take the cores OpenBLAS needs;
# dictlab sets OMP_WAIT_POLICY=PASSIVE unless told otherwise.
(unset OMP_WAIT_POLICY; compare "OMP_WAIT_POLICY unset (libgomp spins before sleeping):")
OMP_WAIT_POLICY=PASSIVE compare "OMP_WAIT_POLICY=PASSIVE (what dictlab runs with):"

echo
echo "sparse autoencoder training, d_in 512, 4096 features, batch 4096 (medians of 9 steps):"
ours=$(OMP_WAIT_POLICY=PASSIVE "$build/sae_bench" throughput 9)
theirs=$(OMP_WAIT_POLICY=PASSIVE $python "$here/pytorch_sae.py" 9)
echo "$ours" | sed 's/^/  /'
echo "$theirs" | sed 's/^/  /'
$python - "$ours" "$theirs" <<'PY'
import json, sys
rows = [json.loads(line) for arg in sys.argv[1:3] for line in arg.splitlines()]
def rate(prefix, name):
    return next(r for r in rows if r["what"].startswith(prefix) and r["what"].endswith(name))
for name in dict.fromkeys(r["what"].split(", ", 1)[1] for r in rows if r["what"].startswith("sparse")):
    sparse, dense, torch = rate("sparse", name), rate("dense", name), rate("PyTorch", name)
    print(f"  {name}: sparse kernels / PyTorch {sparse['activations_per_second'] / torch['activations_per_second']:.2f}x, "
          f"/ dense LibTorch {sparse['activations_per_second'] / dense['activations_per_second']:.2f}x, "
          f"step time / encoder GEMM {sparse['step_over_gemm']:.2f}x "
          f"(the GEMM is {100 / sparse['step_over_gemm']:.0f}% of the step)")
PY

echo
echo "final loss of the sparse and dense paths from one start on the same synthetic batches:"
OMP_WAIT_POLICY=PASSIVE "$build/sae_bench" quality 400 | sed 's/^/  /'

echo
echo "peak memory, 131072 features (3 steps):"
OMP_WAIT_POLICY=PASSIVE "$build/sae_bench" memory 131072 | sed 's/^/  /'
