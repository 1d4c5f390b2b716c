#!/usr/bin/env node
// llama.cpp's prompt-evaluation speed on given token ids: each row of
// TOKENS.json (a JSON array of arrays of ids, as llama_forward_bench
// --tokens-out writes) is a sequence; all are evaluated together in one
// context of as many sequences, as a harvest would feed them.
//
//   node prompt_eval_speed.mjs --model FILE.gguf --tokens TOKENS.json [--threads 2] [--runs 3]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { loadLlamaCpp } from "./llama_cpp.mjs";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    tokens: { type: "string" },
    threads: { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
  },
});
if (!values.model || !values.tokens) {
  console.error("usage: node prompt_eval_speed.mjs --model FILE.gguf --tokens TOKENS.json [--threads 2] [--runs 3]");
  process.exit(2);
}
const rows = JSON.parse(readFileSync(values.tokens, "utf8"));
const threads = Number(values.threads);
const total = rows.reduce((n, row) => n + row.length, 0);
const longest = Math.max(...rows.map((row) => row.length));
const { context } = await loadLlamaCpp({
  model: values.model,
  threads,
  contextSize: Math.max(512, longest * rows.length),
  sequences: rows.length,
  batchSize: total,
});
const sequences = rows.map(() => context.getSequence());
const rates = [];
for (let run = 0; run <= Number(values.runs); run++) {
  await Promise.all(sequences.map((s) => s.clearHistory()));
  const start = performance.now();
  await Promise.all(rows.map((row, i) => sequences[i].evaluateWithoutGeneratingNewTokens(row)));
  const seconds = (performance.now() - start) / 1000;
  if (run > 0) rates.push(total / seconds); // run 0 warms up
}
rates.sort((a, b) => a - b);
console.log(`llama.cpp: ${rows.length} x ${longest} tokens, ${threads} thread(s): median ${rates[rates.length >> 1].toFixed(1)} tokens/s ` +
  `(best ${rates[rates.length - 1].toFixed(1)}), load average ${loadavg()[0].toFixed(2)}`);
process.exit(0);
