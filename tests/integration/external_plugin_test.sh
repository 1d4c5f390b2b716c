#!/usr/bin/env bash
# Installs dictlab, builds sdk/examples/hello_dataset against the installed
# SDK with find_package(dictlab), and runs an experiment that uses it beside
# the installed plugins: the path a plugin author outside this repo takes.
set -euo pipefail
build=$1
source=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$source/sdk/examples/hello_dataset" -B "$tmp/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null

export DICTLAB_PLUGIN_PATH="$tmp/build"
plugins=$("$tmp/prefix/bin/dictlab" plugins)
grep -q '^hello_dataset (dataset, version 0.1.0)' <<<"$plugins"
grep -q '^corpus_stats (evaluator' <<<"$plugins"   # found in <prefix>/lib/dictlab/plugins

cat >"$tmp/exp.toml" <<TOML
[experiment]
run_dir = "$tmp/run"

[[stage]]
name = "greetings"
plugin = "hello_dataset"
count = 4

[[stage]]
name = "stats"
plugin = "corpus_stats"
inputs = ["greetings"]
TOML
output=$("$tmp/prefix/bin/dictlab" run "$tmp/exp.toml")
echo "$output"
grep -q 'corpus_documents{source=greetings} = 4' <<<"$output"
test "$(wc -l <"$tmp/run/stages/greetings/documents.jsonl")" -eq 4
echo "external plugin: ok"
