#!/usr/bin/env node
// llama.cpp's reference for tests/models/llama_cpp_agreement_test.cc: for each
// prompt below, its token ids (llama.cpp's tokenizer, special tokens parsed),
// the top-20 next-token log-probabilities after the last prompt token, and the
// greedy continuation of --continuation tokens.
//
//   node tests/llama_cpp_reference/next_token_logprobs.mjs --model FILE.gguf [--out FILE.json] [--continuation 32] [--exact]
//
// The committed references:
//   smollm2_135m_instruct_q4_1.json: --model /var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf
//   smollm2_135m_instruct_f32_exact.json: --exact --model the float32 copy make_f32_gguf.py writes of it
//
// At temperature 0 node-llama-cpp's sampler chain is llama.cpp's greedy
// sampler alone, which leaves the logits as they are, so the probabilities it
// returns are the plain softmax of the model's logits (AddonContext.cpp,
// SampleToken), not filtered by min-p or top-k.
import { statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { loadLlamaCpp } from "./llama_cpp.mjs";

const prompts = [
  "The capital of France is",
  "Once upon a time, in a small village at the edge of the forest, there lived",
  "The mitochondria is the powerhouse of the",
  "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
  "#include <stdio.h>\n\nint main(void) {\n    printf(\"",
  "SELECT name, COUNT(*) FROM users WHERE",
  "北京是中国的首都，上海是",
  "Le chat est assis sur le",
  "1, 1, 2, 3, 5, 8, 13, 21,",
  "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
    "<|im_start|>user\nWhat is the boiling point of water in Celsius?<|im_end|>\n<|im_start|>assistant\n",
  "Q: What is 12 times 12?\nA:",
  "The quick brown fox jumps over the lazy dog. The quick brown fox",
];

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    out: { type: "string" },
    continuation: { type: "string", default: "32" },
    top: { type: "string", default: "20" },
    exact: { type: "boolean", default: false },
  },
});
if (!values.model) {
  console.error("usage: node next_token_logprobs.mjs --model FILE.gguf [--out FILE.json] [--continuation 32] [--top 20]");
  process.exit(2);
}
const continuation = Number(values.continuation);
const top = Number(values.top);

// One thread: the results do not depend on it, and on a shared machine
// llama.cpp's spinning thread pool runs ~10x slower with 2 than with 1.
const { model, sequence } = await loadLlamaCpp({ model: values.model, threads: 1, contextSize: 512, exact: values.exact });
const results = [];
for (const text of prompts) {
  const ids = model.tokenize(text, true);
  await sequence.clearHistory();
  // Probabilities for the first step only: a Map of the whole vocabulary per
  // token would cost ~0.2 s a step.
  let topLogprobs = null;
  let next = null;
  for await (const step of sequence.evaluateWithMetadata(ids, { probabilities: true }, { temperature: 0, yieldEogToken: true })) {
    topLogprobs = [...step.probabilities.entries()].slice(0, top).map(([id, p]) => [id, Math.log(p)]);
    next = step.token;
    break;
  }
  const generated = [next];
  if (generated.length < continuation)
    for await (const token of sequence.evaluate([next], { temperature: 0, yieldEogToken: true })) {
      generated.push(token);
      if (generated.length >= continuation) break;
    }
  results.push({ text, ids, top_logprobs: topLogprobs, greedy: generated });
}
const llamaCppPackage = createRequire(import.meta.url)("../../host/llm-server/node_modules/node-llama-cpp/package.json");
const json = JSON.stringify(
  {
    generated_by: "node tests/llama_cpp_reference/next_token_logprobs.mjs " + (values.exact ? "--exact " : "") + "--model " + values.model,
    node_llama_cpp: llamaCppPackage.version,
    model_bytes: statSync(values.model).size,
    prompts: results,
  },
  null,
  1,
);
if (values.out) writeFileSync(values.out, json);
else console.log(json);
process.exit(0);
