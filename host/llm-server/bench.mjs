#!/usr/bin/env node
// Throughput of the local LLM server for feature labelling. For each thread
// count it starts server.mjs, warms it up, and measures (medians of --runs):
//   generation: completion tokens/s for a short prompt and --gen-tokens tokens
//   prompt:     prompt tokens/s for the ~400-token labelling prompt (max_tokens 1)
//   label:      seconds per labelling-size request (the ~400-token Bills et al.
//               2023 prompt of smoke.mjs, max_tokens --max-tokens, temperature 0),
//               and so labels per minute with requests run one after another.
//
//   node bench.mjs [--model PATH] [--threads 1,2] [--runs 3] [--max-tokens 40] [--gen-tokens 100] [--json]
//
// The load average is printed beside the figures: on a shared machine other
// jobs slow these numbers down.
import { loadavg, cpus } from "node:os";
import { parseArgs } from "node:util";
import { startServer, chat, labellingMessages, checkCompletionShape, defaultModel } from "./smoke.mjs";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: defaultModel },
    threads: { type: "string", default: "1,2" },
    runs: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "40" },
    "gen-tokens": { type: "string", default: "100" },
    json: { type: "boolean", default: false },
  },
});
const threadCounts = values.threads.split(",").map(Number);
const runs = Number(values.runs);
const maxTokens = Number(values["max-tokens"]);
const genTokens = Number(values["gen-tokens"]);
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1) || !(runs >= 1) || !(maxTokens >= 1) || !(genTokens >= 1)) {
  console.error("usage: node bench.mjs [--model PATH] [--threads 1,2] [--runs 3] [--max-tokens 40] [--gen-tokens 100] [--json]");
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => loadavg()[0].toFixed(2);

async function request(url, body) {
  const result = await chat(url, body);
  if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${JSON.stringify(result.body)}`);
  checkCompletionShape(result.body);
  return result;
}

const generationRequest = {
  messages: [{ role: "user", content: "Write a long story about a lighthouse keeper and a storm." }],
  temperature: 0,
  max_tokens: genTokens,
};
const labelRequest = { messages: labellingMessages(), temperature: 0, max_tokens: maxTokens };

console.log(`bench: ${values.model}`);
console.log(`bench: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? "unknown"}), load average ${load()} at the start, ${runs} run(s) each`);
const results = [];
for (const threads of threadCounts) {
  const server = await startServer({ model: values.model, threads });
  try {
    await request(server.url, { ...labelRequest, max_tokens: 4 }); // warm-up
    const gen = [];
    const prompt = [];
    const label = [];
    let promptTokens = 0;
    let labelTokens = 0;
    let answer = "";
    for (let run = 0; run < runs; run++) {
      const g = await request(server.url, generationRequest);
      gen.push(g.body.usage.completion_tokens / g.seconds);
      const p = await request(server.url, { ...labelRequest, max_tokens: 1 });
      promptTokens = p.body.usage.prompt_tokens;
      prompt.push(promptTokens / p.seconds);
      const l = await request(server.url, labelRequest);
      label.push(l.seconds);
      labelTokens = l.body.usage.completion_tokens;
      answer = l.body.choices[0].message.content;
    }
    const row = {
      threads,
      generation_tokens_per_s: median(gen),
      prompt_tokens_per_s: median(prompt),
      label_prompt_tokens: promptTokens,
      label_completion_tokens: labelTokens,
      seconds_per_label: median(label),
      labels_per_minute: 60 / median(label),
      startup_s: server.startSeconds,
      load_average: Number(load()),
    };
    results.push(row);
    console.log(
      `threads ${threads}: generation ${row.generation_tokens_per_s.toFixed(1)} tokens/s, ` +
        `prompt ${row.prompt_tokens_per_s.toFixed(0)} tokens/s, ` +
        `label (${promptTokens} + ${labelTokens} tokens) ${row.seconds_per_label.toFixed(2)} s = ${row.labels_per_minute.toFixed(1)} labels/min ` +
        `[startup ${row.startup_s.toFixed(1)} s, load ${row.load_average}]`,
    );
    console.log(`  label: ...find${answer.startsWith(" ") ? "" : " "}${answer.trim().replace(/\s+/g, " ")}`);
  } finally {
    await server.stop();
  }
}
if (values.json) console.log(JSON.stringify(results));
