#!/usr/bin/env bash
# Our llama forward pass beside llama.cpp's prompt evaluation of the same
# token ids (batch x length random ids), same machine, same run, for each
# thread count. Run on an idle machine: both spin-wait between threads.
#
#   bash tests/benchmarks/llama_vs_llama_cpp.sh BUILD_DIR [MODEL.gguf] [BATCH] [LENGTH] [THREADS...]
set -euo pipefail
build=${1:?usage: llama_vs_llama_cpp.sh BUILD_DIR [MODEL.gguf] [BATCH] [LENGTH] [THREADS...]}
model=${2:-/var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf}
batch=${3:-8}
length=${4:-128}
shift $(( $# < 4 ? $# : 4 ))
threads=("${@:-1 2}")
here=$(cd "$(dirname "$0")" && pwd)
tokens=$(mktemp --suffix=.json)
trap 'rm -f "$tokens"' EXIT
for t in ${threads[@]}; do
  echo "== $t thread(s), load average $(cut -d' ' -f1 /proc/loadavg)"
  "$build/llama_forward_bench" "$model" --batch "$batch" --length "$length" --threads "$t" --tokens-out "$tokens"
  node "$here/../llama_cpp_reference/prompt_eval_speed.mjs" --model "$model" --tokens "$tokens" --threads "$t"
done
