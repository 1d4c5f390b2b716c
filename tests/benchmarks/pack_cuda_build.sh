#!/usr/bin/env bash
# Packs a CUDA build (.ci/setup-cuda) into one folder that runs on a GPU
# machine without Debian's packages, where a python3 holds the same PyTorch
# release the build was made against (its libtorch then serves the build):
# dictlab, sae_bench and the plugins, stripped, and every shared library they
# need that neither that PyTorch nor the C and C++ runtimes provide.
#   bash tests/benchmarks/pack_cuda_build.sh BUILD_DIR FOLDER
# and on the GPU machine, from the repository root:
#   source FOLDER/env.sh && bash tests/benchmarks/device_check.sh FOLDER cuda python3
set -euo pipefail
build="$1"
out="$2"

rm -rf "$out"
mkdir -p "$out/plugins" "$out/lib"
strip_into() { objcopy --strip-debug "$1" "$2/$(basename "$1")"; }
strip_into "$build/dictlab" "$out"
strip_into "$build/sae_bench" "$out"
strip_into "$build/libdictlab_distributed.so" "$out"  # ranks meet through it, loaded from dictlab's folder
for plugin in "$build"/plugins/*.so; do strip_into "$plugin" "$out/plugins"; done

# Libraries the other machine brings itself: its C and C++ runtimes, and
# PyTorch with the NVIDIA wheels it depends on (the venv this build linked).
provided='^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libutil|libgcc_s|libstdc\+\+|libgomp)\.so'
for binary in "$out"/dictlab "$out"/*.so "$out"/sae_bench "$out"/plugins/*.so; do
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $provided ]] && continue
  [[ "$path" == */site-packages/* ]] && continue
  strip_into "$path" "$out/lib"
done

cat >"$out/env.sh" <<'EOF'
# Puts this folder's libraries, python3's PyTorch and its NVIDIA libraries on
# the loader's path.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
site="$(python3 -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')"
LD_LIBRARY_PATH="$here/lib:$site/torch/lib$(printf ':%s' "$site"/nvidia/*/lib "$site"/nvidia/*/lib64)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
EOF
du -sh "$out"
