// Reference token ids from llama.cpp itself (through node-llama-cpp, the
// copy host/llm-server installs), for gguf_tokenizer_test to compare with.
//
//   node tests/models/llama_cpp_reference/tokenize.mjs TEXTS.json RANDOM_COUNT OUT.json MODEL.gguf...
//
// TEXTS.json is a JSON array of strings; RANDOM_COUNT more texts are drawn
// from random_texts.mjs (seeded, so every run draws the same). OUT.json gets
// {"models": [one entry per MODEL, in order]}, each
//   {"model": path, "bos": id|null, "eos": id|null, "add_bos": bool, "add_eos": bool,
//    "control_ids": [...], "eog_ids": [...] (every token llama.cpp marks control /
//    end-of-generation),
//    "texts": [{"text", "ids", "ids_special", "detokenized", "detokenized_special",
//               "token_pieces"}]}
// where ids = model.tokenize(text) (node-llama-cpp's default: no BOS, control
// tokens' text is plain text), ids_special = model.tokenize(text, true)
// (control tokens' text becomes the token), detokenized = model.detokenize(ids),
// detokenized_special = model.detokenize(ids_special, true), and token_pieces
// = model.detokenize([id]) for each id alone (cut characters show how the
// bytes of a partial character reach JavaScript).
// Several models share one run: starting node-llama-cpp takes seconds.
// Exits 2 with a message when node-llama-cpp is not installed (bash .ci/install-llm).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [textsPath, randomCount, outPath, ...modelPaths] = process.argv.slice(2);
if (!textsPath || !outPath || modelPaths.length === 0 || !/^\d+$/.test(randomCount ?? "")) {
  console.error("usage: node tokenize.mjs TEXTS.json RANDOM_COUNT OUT.json MODEL.gguf...");
  process.exit(64);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const entry = join(root, "host/llm-server/node_modules/node-llama-cpp/dist/index.js");
if (!existsSync(entry)) {
  console.error(`tokenize.mjs: node-llama-cpp is not installed at ${entry} (run: bash .ci/install-llm)`);
  process.exit(2);
}
for (const modelPath of modelPaths) {
  if (!existsSync(modelPath)) {
    console.error(`tokenize.mjs: no model file at ${modelPath}`);
    process.exit(2);
  }
}
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
const { randomTexts } = await import("./random_texts.mjs");
const texts = [...JSON.parse(readFileSync(textsPath, "utf8")), ...randomTexts(Number(randomCount))];

const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  logLevel: LlamaLogLevel.error,
  progressLogs: false,
});

async function reference(modelPath) {
  // vocabOnly: the tokenizer without the weights.
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  const vocabSize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
  const allIds = Array.from({ length: vocabSize }, (_, id) => id);
  const result = {
    model: modelPath,
    bos: model.tokens.bos ?? null,
    eos: model.tokens.eos ?? null,
    add_bos: model.tokens.shouldPrependBosToken,
    add_eos: model.tokens.shouldAppendEosToken,
    control_ids: allIds.filter((id) => model.getTokenAttributes(id).control),
    eog_ids: allIds.filter((id) => model.isEogToken(id)),
    texts: texts.map((text) => {
      const ids = Array.from(model.tokenize(text));
      const idsSpecial = Array.from(model.tokenize(text, true));
      return {
        text,
        ids,
        ids_special: idsSpecial,
        detokenized: model.detokenize(ids),
        detokenized_special: model.detokenize(idsSpecial, true),
        token_pieces: ids.map((id) => model.detokenize([id])),
      };
    }),
  };
  await model.dispose();
  return result;
}

const models = [];
for (const modelPath of modelPaths) models.push(await reference(modelPath));
writeFileSync(outPath, JSON.stringify({ models }));
await llama.dispose();
