#!/usr/bin/env bash
# Loads every dictionary of a dictlab run with SAELens' own loader, splices it
# into the toy model loaded with TransformerLens, and compares codes,
# reconstructions and loss recovered with dictlab's (check_saelens.py).
#
# Usage: tests/interop/check_saelens.sh [--install] [--venv DIR] [--build DIR] RUN_DIR [STAGE...]
#
# The Python environment (torch, sae-lens, transformer-lens, pinned; ~GBs
# from PyPI) is created only with --install, never by CI: without it a
# missing environment skips the check (exit 77). Default venv:
# ~/.cache/dictlab/saelens-check. --build names the CMake build folder that
# holds dump_dictionary_codes (default: build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

venv="${XDG_CACHE_HOME:-$HOME/.cache}/dictlab/saelens-check"
build="$root/build"
install=0
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1; shift ;;
    --venv) venv="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }

# The versions the issue's user had (torch 2.15.0, sae-lens 6.54.12,
# transformer-lens 3.9.0); all three are on PyPI.
pins=(torch==2.15.0 sae-lens==6.54.12 transformer-lens==3.9.0)
marker="$venv/.pins"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$marker" 2>/dev/null)" != "${pins[*]}" ]; then
  if [ "$install" -ne 1 ]; then
    echo "check_saelens: no Python environment with ${pins[*]} in $venv; run again with --install to create it" >&2
    exit 77
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
  echo "${pins[*]}" > "$marker"
fi

tool="$build/dump_dictionary_codes"
[ -x "$tool" ] || { echo "check_saelens: $tool missing; build it: ninja -C $build dump_dictionary_codes" >&2; exit 2; }
# The tool finds the plugins built beside it; DICTLAB_PLUGIN_PATH adds others.
exec "$venv/bin/python" "$here/check_saelens.py" --tool "$tool" "$@"
