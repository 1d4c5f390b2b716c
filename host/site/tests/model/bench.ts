// Generation speed of the browser model in node (the same V8 the page uses),
// one thread, on an exported site's data/ folder:
//   npx vite-node tests/model/bench.ts [DATA_DIR]     (default: $DICTLAB_SITE_DATA)
// Prints tokens/s for greedy and sampled generation, with and without a
// pinned feature, and the time of a features request: by the wall clock (what
// the page reports) and per CPU second used (closer to the single-thread
// speed when other jobs share the cores). Not a test: vitest only runs *.test.ts.

import { dataDir, env, readBytes } from "./fixture";
import { LoadedModel } from "../../src/model/runtime";

const proc = (globalThis as unknown as { process?: { argv: string[]; cpuUsage(): { user: number; system: number } } }).process;
const argv = proc?.argv ?? [];
/** CPU seconds this process has used: on a busy machine, tokens per CPU second is the single-thread speed. */
function cpuSeconds(): number {
  const u = proc ? proc.cpuUsage() : { user: performance.now() * 1000, system: 0 };
  return (u.user + u.system) / 1e6;
}
const dir = argv[2] ?? (env("DICTLAB_SITE_DATA") ? dataDir() : undefined);
if (!dir) throw new Error("usage: npx vite-node tests/model/bench.ts DATA_DIR (or set DICTLAB_SITE_DATA)");

const t0 = performance.now();
const model = LoadedModel.fromBuffers(readBytes(`${dir}/model/model.safetensors`), readBytes(`${dir}/model/sae.safetensors`));
const c = model.model.config;
console.log(
  `loaded in ${(performance.now() - t0).toFixed(0)} ms: d_model ${c.d_model}, d_mlp ${c.d_mlp}, vocab ${c.d_vocab}, ` +
    `${c.n_heads} heads, ctx ${c.n_ctx}, ${c.act_fn}; SAE ${model.sae?.config.d_sae} features (${model.sae?.config.activation})`,
);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

const prompt = "The ";
const runs = 5;
function bench(label: string, request: Parameters<LoadedModel["generate"]>[0]): void {
  model.generate({ ...request, maxNewTokens: 32 }); // warm up the JIT
  const rates: number[] = [], cpuRates: number[] = [], counts: number[] = [];
  for (let r = 0; r < runs; r++) {
    const cpu = cpuSeconds();
    const g = model.generate({ ...request, seed: request.seed + r });
    rates.push(g.tokensPerSecond);
    cpuRates.push(g.ids.length / (cpuSeconds() - cpu));
    counts.push(g.ids.length);
  }
  console.log(
    `${label.padEnd(44)} ${median(rates).toFixed(0).padStart(6)} tokens/s wall, ` +
      `${median(cpuRates).toFixed(0).padStart(6)} per CPU second  (median of ${runs}, ` +
      `${Math.min(...counts)}-${Math.max(...counts)} tokens each)`,
  );
}

const base = { prompt, maxNewTokens: 256, temperature: 0.8, topK: 40, seed: 1, pins: [] as { feature: number; value: number }[] };
bench("greedy, 256 new tokens (ctx slides)", { ...base, temperature: 0 });
bench("sampled T=0.8 top-k 40, 256 new tokens", base);
bench("sampled T=1 whole vocabulary, 256 new tokens", { ...base, temperature: 1, topK: 0 });
bench("sampled, 100 new tokens (within the context)", { ...base, maxNewTokens: 100 });
if (model.sae) {
  bench("sampled, 256 new tokens, 1 pinned feature", { ...base, pins: [{ feature: 5, value: 5 }] });
  bench("sampled, 256 new tokens, 4 pinned features", {
    ...base,
    pins: [5, 6, 7, 8].map((feature) => ({ feature, value: 5 })),
  });
  const text = "The quick brown fox jumps over the lazy dog. ".repeat(12);
  model.features(text, 10);
  const t = performance.now(), cpu = cpuSeconds();
  const f = model.features(text, 10);
  console.log(
    `features request, ${f.tokens.length} tokens: ${(performance.now() - t).toFixed(0)} ms wall, ` +
      `${((cpuSeconds() - cpu) * 1000).toFixed(0)} ms CPU`,
  );
}
