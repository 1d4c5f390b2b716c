#!/usr/bin/env node
// Writes a synthetic export (a valid data/ folder, see ../DATA.md) for testing the site without
// a real run: run.json (model, sae, check: null), index.bin, search.json and the feature shards,
// with plausible random examples, histograms, logit effects and labels, deterministic from a seed.
//
//   node scripts/synthetic-data.mjs OUT_DIR N_FEATURES [--seed 1] [--shard-size 64]
//                                   [--top 12] [--intervals 10] [--per-interval 2] [--model 0|1]
//
// OUT_DIR is the data folder itself (it gets run.json, index.bin, ...). Tokens include emoji,
// Arabic, Hebrew, CJK, combining marks, newlines and empty continuation tokens on purpose.
// With --model 1 it also writes model/model.safetensors and model/sae.safetensors: a random
// one-layer transformer (byte-fallback tokenizer, so any text encodes) and a random dictionary
// of N_FEATURES features, for exercising the model pages; their outputs are noise.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error("usage: node scripts/synthetic-data.mjs OUT_DIR N_FEATURES [--seed N] [--shard-size N] [--top N] [--intervals N] [--per-interval N] [--model 0|1]");
  process.exit(2);
}

const args = process.argv.slice(2);
const positional = [];
const options = { seed: 1, "shard-size": 64, top: 12, intervals: 10, "per-interval": 2, model: 0 };
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith("--")) {
    const key = args[i].slice(2);
    if (!(key in options)) usage(`unknown option ${args[i]}`);
    const value = Number(args[++i]);
    if (!Number.isInteger(value) || value < 0) usage(`${args[i - 1]} needs a non-negative integer`);
    options[key] = value;
  } else positional.push(args[i]);
}
if (positional.length !== 2) usage();
const [outDir, nText] = positional;
const N = Number(nText);
if (!Number.isInteger(N) || N <= 0) usage("N_FEATURES must be a positive integer");
const SHARD = options["shard-size"] || 64;
const BINS = 40;
const WINDOW = 9;
const TOKENS_ANALYSED = 262144;

// mulberry32: small, fast, deterministic.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function hash(a, b) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 13;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}
const pick = (r, list) => list[Math.floor(r() * list.length)];
const round = (v, digits = 3) => Number(v.toFixed(digits));
function gauss(r) {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

// Themes: a label, the tokens the feature fires on, and where its cluster sits on the map.
const THEMES = [
  { name: "Arabic script", tokens: ["ال", "كتاب", " مرحبا", "في", " العالم", "ة", "و"] },
  { name: "Hebrew text", tokens: ["שלום", " עולם", "ה", " של", "ים", "ת"] },
  { name: "emoji", tokens: ["😀", "🚀", "👍", "🏽", "❤️", "🎉", ""] },
  { name: "CJK characters", tokens: ["中", "文", "日本", "語", "的", "。"] },
  { name: "combining accents", tokens: ["e\u0301", "\u0301", "n\u0303", "a\u0308", "é", "ï"] },
  { name: "Python keywords", tokens: [" def", " return", " import", " self", ":", " None", " lambda"] },
  { name: "closing brackets", tokens: [")", "]", "}", "));", "])", " }"] },
  { name: "numbers in tables", tokens: ["1", "2", "0", "00", " 12", " 2023", "%"] },
  { name: "newlines in code", tokens: ["\n", "\n\n", "\n    ", "\t", ";\n"] },
  { name: "English articles", tokens: [" the", " a", " an", " The", " this", " that"] },
  { name: "URLs", tokens: ["http", "://", "www", ".com", "/", ".org"] },
  { name: "LaTeX commands", tokens: ["\\", "begin", "{", "frac", "$", "_"] },
  { name: "Cyrillic words", tokens: ["при", "вет", " мир", "ский", "ов"] },
  { name: "German compounds", tokens: ["ung", "keit", " Straße", "schaft", "ö", "ü"] },
  { name: "quotation marks", tokens: ["\"", " «", "»", "“", "”", "'"] },
  { name: "Devanagari", tokens: ["न", "मस्", "ते", " हि", "न्दी"] },
];
const FILLER = [" of", " and", " to", " in", " is", " for", " with", " on", " as", ",", ".", " it", " was", " be", " by",
  " data", " value", " file", " function", " time", " new", " one", " world", " people", " system", "ing", "ed", "s",
  " (", " -", " 3", " x", " y", " code", " text", " page", " use", " line", " name", " from", " at", " we", " you"];
const LABEL_STYLES = ["", " (start of word)", " after spaces", " in code", " in prose", " (rare)", " near punctuation"];
const AUTHORS = ["SmolLM2-135M-Instruct", "Qwen2.5-0.5B-Instruct"];

const centers = THEMES.map((_, t) => {
  const r = rng(hash(options.seed, 1000 + t));
  return [0.1 + 0.8 * r(), 0.1 + 0.8 * r()];
});

function makeExample(r, theme, value, maxAct) {
  const focus = 2 + Math.floor(r() * 5);
  const tokens = [];
  const activations = [];
  for (let i = 0; i < WINDOW; i++) {
    if (i === focus) {
      tokens.push(pick(r, theme.tokens));
      activations.push(round(value));
    } else if (r() < 0.25) {
      tokens.push(pick(r, theme.tokens));
      activations.push(round(Math.min(value, maxAct * r() * 0.6)));
    } else {
      tokens.push(pick(r, FILLER));
      activations.push(r() < 0.1 ? round(value * r() * 0.2) : 0);
    }
  }
  return { activation: round(value), focus, tokens, activations };
}

function makeFeature(id) {
  const r = rng(hash(options.seed, id));
  const themeIndex = Math.floor(r() * THEMES.length);
  const theme = THEMES[themeIndex];
  const dead = r() < 0.03;
  const density = dead ? 0 : 10 ** (-5 + 4.3 * r());
  const max = dead ? 0 : round(0.5 + 14 * r() ** 2);
  const [cx, cy] = centers[themeIndex];
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const x = clamp(cx + 0.07 * gauss(r));
  const y = clamp(cy + 0.07 * gauss(r));
  const active = Math.round(density * TOKENS_ANALYSED);
  const counts = new Array(BINS).fill(0);
  if (!dead) {
    const decay = 0.05 + 0.2 * r();
    let total = 0;
    const shape = counts.map((_, b) => Math.exp(-decay * b) * (0.6 + 0.8 * r()));
    shape.forEach((s) => (total += s));
    shape.forEach((s, b) => (counts[b] = Math.round((s / total) * Math.max(active, 1))));
    counts[BINS - 1] = Math.max(1, counts[BINS - 1]);
  }
  const top = [];
  const intervals = [];
  if (!dead) {
    const nTop = Math.max(1, Math.min(options.top, active || 1));
    let v = max;
    for (let i = 0; i < nTop; i++) {
      top.push(makeExample(r, theme, v, max));
      v *= 0.9 + 0.09 * r();
    }
    for (let k = 0; k < options.intervals; k++) {
      const low = (max * k) / options.intervals;
      const high = (max * (k + 1)) / options.intervals;
      const examples = [];
      const n = counts[Math.floor((k * BINS) / options.intervals)] > 0 ? options["per-interval"] : 0;
      for (let j = 0; j < n; j++) examples.push(makeExample(r, theme, low + (high - low) * r(), max));
      intervals.push({ low: round(low), high: round(high), examples });
    }
  }
  const positive = [];
  const negative = [];
  let p = 0.4 + r();
  let q = -(0.3 + 0.8 * r());
  for (let i = 0; i < 10; i++) {
    positive.push([i < 3 ? pick(r, theme.tokens) : pick(r, FILLER), round(p)]);
    negative.push([pick(r, FILLER), round(q)]);
    p *= 0.85 + 0.1 * r();
    q *= 0.85 + 0.1 * r();
  }
  const labels = [];
  if (!dead && r() < 0.9) {
    labels.push({
      text: `${theme.name}${pick(r, LABEL_STYLES)}`,
      labeler_stage: "labels_llm",
      labeler: "llm",
      author: pick(r, AUTHORS),
      scores: { simulation: round(r() * 0.8 - 0.1), detection: round(0.4 + r() * 0.6) },
      rubric: null,
    });
    if (r() < 0.4) {
      labels.push({
        text: `“${theme.tokens[0].trim() || theme.tokens[1]}” and similar`,
        labeler_stage: "labels_baseline",
        labeler: "baseline",
        author: "baseline",
        scores: {},
        rubric: null,
      });
    }
  }
  // search.json's tokens: the distinct focus tokens of the top examples.
  const focusTokens = [...new Set(top.map((e) => e.tokens[e.focus]).filter((t) => t !== ""))];
  return {
    feature: {
      id,
      density: round(density, 7),
      max_activation: max,
      mean_activation: dead ? 0 : round(max * (0.15 + 0.2 * r())),
      histogram: { max, counts },
      top_examples: top,
      intervals,
      logits: { positive, negative },
      labels,
    },
    index: [density, max, x, y],
    search: { label: labels[0]?.text ?? null, tokens: focusTokens.join(" ") },
  };
}

rmSync(join(outDir, "features"), { recursive: true, force: true });
mkdirSync(join(outDir, "features"), { recursive: true });
const index = new Float32Array(4 * N);
const searchLabels = new Array(N);
const searchTokens = new Array(N);
const labelled = []; // labels.json's features
let bytes = 0;
for (let s = 0; s * SHARD < N; s++) {
  const shard = [];
  for (let id = s * SHARD; id < Math.min(N, (s + 1) * SHARD); id++) {
    const { feature, index: row, search } = makeFeature(id);
    shard.push(feature);
    if (feature.labels.length) labelled.push({ feature: id, labels: feature.labels });
    for (let c = 0; c < 4; c++) index[c * N + id] = row[c];
    searchLabels[id] = search.label;
    searchTokens[id] = search.tokens;
  }
  const text = JSON.stringify(shard);
  bytes += Buffer.byteLength(text);
  writeFileSync(join(outDir, "features", `${String(s).padStart(5, "0")}.json`), text);
}
// index.bin is little-endian float32; Float32Array is in the platform's order, so write explicitly.
const bin = Buffer.alloc(index.length * 4);
for (let i = 0; i < index.length; i++) bin.writeFloatLE(index[i], i * 4);
writeFileSync(join(outDir, "index.bin"), bin);
writeFileSync(join(outDir, "search.json"), JSON.stringify({ labels: searchLabels, tokens: searchTokens }));
const scorers = labelled.length ? ["detection", "simulation"] : [];
writeFileSync(join(outDir, "labels.json"), JSON.stringify({ format: "dictlab.labels/1", scorers, features: labelled }));
// -- A random model and dictionary (--model 1) ---------------------------------------------------

function writeSafetensors(path, tensors, metadata) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json);
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const { data } of Object.values(tensors)) {
    for (let i = 0; i < data.length; i++, at += 4) out.writeFloatLE(data[i], at);
  }
  writeFileSync(path, out);
}

function writeModel() {
  const r = rng(hash(options.seed, 0xabcdef));
  const pieces = [["<unk>", 0, "u"], ["</s>", 0, "c"]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0, "b"]);
  const normal = new Set();
  for (let c = 32; c < 127; c++) if (c !== 32) normal.add(String.fromCharCode(c));
  normal.add("\u2581");
  for (const t of [...FILLER, ...THEMES.flatMap((th) => th.tokens)]) {
    const piece = t.replace(/ /g, "\u2581");
    if (piece !== "" && !/[\n\t]/.test(piece)) normal.add(piece);
  }
  let score = 0;
  for (const p of normal) pieces.push([p, score--, "n"]);
  const config = { d_model: 64, d_mlp: 256, d_vocab: pieces.length, n_ctx: 128, n_heads: 4, d_head: 16, n_layers: 1, act_fn: "relu" };
  const { d_model: D, d_mlp: M, d_vocab: V, n_ctx: T, n_heads: H, d_head: dh } = config;
  const rand = (n, scale) => Float32Array.from({ length: n }, () => scale * gauss(r));
  const ones = (n) => new Float32Array(n).fill(1);
  const tensors = {
    "embed.W_E": { shape: [V, D], data: rand(V * D, 1) },
    "pos_embed.W_pos": { shape: [T, D], data: rand(T * D, 0.3) },
    "blocks.0.ln1.w": { shape: [D], data: ones(D) },
    "blocks.0.ln1.b": { shape: [D], data: new Float32Array(D) },
    "blocks.0.ln2.w": { shape: [D], data: ones(D) },
    "blocks.0.ln2.b": { shape: [D], data: new Float32Array(D) },
    "blocks.0.attn.W_Q": { shape: [H, D, dh], data: rand(H * D * dh, 1 / Math.sqrt(D)) },
    "blocks.0.attn.W_K": { shape: [H, D, dh], data: rand(H * D * dh, 1 / Math.sqrt(D)) },
    "blocks.0.attn.W_V": { shape: [H, D, dh], data: rand(H * D * dh, 1 / Math.sqrt(D)) },
    "blocks.0.attn.b_Q": { shape: [H, dh], data: new Float32Array(H * dh) },
    "blocks.0.attn.b_K": { shape: [H, dh], data: new Float32Array(H * dh) },
    "blocks.0.attn.b_V": { shape: [H, dh], data: new Float32Array(H * dh) },
    "blocks.0.attn.W_O": { shape: [H, dh, D], data: rand(H * dh * D, 1 / Math.sqrt(D)) },
    "blocks.0.attn.b_O": { shape: [D], data: new Float32Array(D) },
    "blocks.0.mlp.W_in": { shape: [D, M], data: rand(D * M, 1 / Math.sqrt(D)) },
    "blocks.0.mlp.b_in": { shape: [M], data: rand(M, 0.1) },
    "blocks.0.mlp.W_out": { shape: [M, D], data: rand(M * D, 1 / Math.sqrt(M)) },
    "blocks.0.mlp.b_out": { shape: [D], data: new Float32Array(D) },
    "ln_final.w": { shape: [D], data: ones(D) },
    "ln_final.b": { shape: [D], data: new Float32Array(D) },
    "unembed.W_U": { shape: [D, V], data: rand(D * V, 2 / Math.sqrt(D)) },
    "unembed.b_U": { shape: [V], data: new Float32Array(V) },
  };
  mkdirSync(join(outDir, "model"), { recursive: true });
  writeSafetensors(join(outDir, "model", "model.safetensors"), tensors, {
    config: JSON.stringify(config),
    tokenizer: JSON.stringify({ type: "sentencepiece_bpe", eos_id: 1, pieces }),
    format: "dictlab.toy_transformer",
  });
  // A ReLU dictionary whose features each fire on a few percent of positions.
  const F = N;
  writeSafetensors(
    join(outDir, "model", "sae.safetensors"),
    {
      W_enc: { shape: [M, F], data: rand(M * F, 1 / Math.sqrt(M)) },
      b_enc: { shape: [F], data: new Float32Array(F).fill(-1.2) },
      W_dec: { shape: [F, M], data: rand(F * M, 1 / Math.sqrt(M)) },
      b_dec: { shape: [M], data: new Float32Array(M) },
    },
    { cfg: JSON.stringify({ d_in: M, d_sae: F, activation_fn_str: "relu", activation_scale: 1.0, apply_b_dec_to_input: true }) },
  );
}

if (options.model) writeModel();

writeFileSync(
  join(outDir, "run.json"),
  JSON.stringify(
    {
      format: "dictlab.site/1",
      experiment: `synthetic-${N}`,
      model_stage: "model",
      dictionary_stage: "sae",
      analysis_stage: "features",
      n_features: N,
      shard_size: SHARD,
      tokens_analysed: TOKENS_ANALYSED,
      histogram_bins: BINS,
      model: options.model ? "model/model.safetensors" : null,
      sae: options.model ? "model/sae.safetensors" : null,
      check: null,
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${N} features in ${Math.ceil(N / SHARD)} shards (${(bytes / 1e6).toFixed(1)} MB) to ${outDir}`);
