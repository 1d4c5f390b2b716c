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
echo "sparse autoencoder training, d_in 512, 4096 features, batch 4096:"
OMP_WAIT_POLICY=PASSIVE "$build/sae_bench" 5 | sed 's/^/  /'
OMP_WAIT_POLICY=PASSIVE $python "$here/pytorch_sae.py" 5 | sed 's/^/  /'
