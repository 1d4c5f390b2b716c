// A tiny random transformer and SAE for the tests that need no exported
// files, and a naive reference forward pass written straight from the
// TransformerLens layout (no transposes, no cache, full attention matrix).

import { Rng } from "../../src/model/sampling";
import { Sae } from "../../src/model/sae";
import { gelu, Transformer, type TransformerConfig } from "../../src/model/transformer";

export const tinyConfig: TransformerConfig = { d_model: 8, d_mlp: 16, d_vocab: 11, n_ctx: 6, n_heads: 2, d_head: 4, act_fn: "relu" };

export function shapes(c: TransformerConfig): Record<string, number[]> {
  const { d_model: D, d_mlp: M, d_vocab: V, n_ctx: T, n_heads: H, d_head: dh } = c;
  return {
    "embed.W_E": [V, D], "pos_embed.W_pos": [T, D],
    "blocks.0.ln1.w": [D], "blocks.0.ln1.b": [D], "blocks.0.ln2.w": [D], "blocks.0.ln2.b": [D],
    "blocks.0.attn.W_Q": [H, D, dh], "blocks.0.attn.W_K": [H, D, dh], "blocks.0.attn.W_V": [H, D, dh],
    "blocks.0.attn.b_Q": [H, dh], "blocks.0.attn.b_K": [H, dh], "blocks.0.attn.b_V": [H, dh],
    "blocks.0.attn.W_O": [H, dh, D], "blocks.0.attn.b_O": [D],
    "blocks.0.mlp.W_in": [D, M], "blocks.0.mlp.b_in": [M], "blocks.0.mlp.W_out": [M, D], "blocks.0.mlp.b_out": [D],
    "ln_final.w": [D], "ln_final.b": [D], "unembed.W_U": [D, V], "unembed.b_U": [V],
  };
}

export function randomWeights(c: TransformerConfig, seed = 1): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(shapes(c))) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = name.endsWith(".w") ? 1 + 0.3 * (rng.next() - 0.5) : 2 * (rng.next() - 0.5);
    out.set(name, a);
  }
  return out;
}

export function tinyModel(c: TransformerConfig = tinyConfig, seed = 1): { model: Transformer; weights: Map<string, Float32Array> } {
  const weights = randomWeights(c, seed);
  return { model: new Transformer(c, (name) => weights.get(name)!), weights };
}

/** Logits [L][V] by the textbook computation, in double precision. */
export function referenceForward(
  c: TransformerConfig,
  w: Map<string, Float32Array>,
  ids: number[],
  hook?: (act: number[], position: number) => void,
): number[][] {
  const { d_model: D, d_mlp: M, d_vocab: V, n_heads: H, d_head: dh } = c;
  const g = (n: string) => w.get(n)!;
  const ln = (x: number[], wt: Float32Array, b: Float32Array) => {
    const mean = x.reduce((a, v) => a + v, 0) / D;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / D;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * wt[i] + b[i]);
  };
  const L = ids.length;
  const x = ids.map((t, p) => Array.from({ length: D }, (_, d) => g("embed.W_E")[t * D + d] + g("pos_embed.W_pos")[p * D + d]));
  const h1 = x.map((r) => ln(r, g("blocks.0.ln1.w"), g("blocks.0.ln1.b")));
  const proj = (name: string, bias: string, p: number, head: number, k: number) => {
    let s = g(bias)[head * dh + k];
    for (let d = 0; d < D; d++) s += h1[p][d] * g(name)[(head * D + d) * dh + k];
    return s;
  };
  for (let p = 0; p < L; p++) {
    const mixed = new Array(D).fill(0);
    for (let head = 0; head < H; head++) {
      const q = Array.from({ length: dh }, (_, k) => proj("blocks.0.attn.W_Q", "blocks.0.attn.b_Q", p, head, k));
      const scores: number[] = [];
      for (let s = 0; s <= p; s++) {
        let dot = 0;
        for (let k = 0; k < dh; k++) dot += q[k] * proj("blocks.0.attn.W_K", "blocks.0.attn.b_K", s, head, k);
        scores.push(dot / Math.sqrt(dh));
      }
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const sum = e.reduce((a, v) => a + v, 0);
      for (let s = 0; s <= p; s++)
        for (let k = 0; k < dh; k++) mixed[head * dh + k] += (e[s] / sum) * proj("blocks.0.attn.W_V", "blocks.0.attn.b_V", s, head, k);
    }
    for (let d = 0; d < D; d++) {
      let s = g("blocks.0.attn.b_O")[d];
      for (let i = 0; i < D; i++) s += mixed[i] * g("blocks.0.attn.W_O")[i * D + d];
      x[p][d] += s;
    }
  }
  return x.map((row, p) => {
    const h2 = ln(row, g("blocks.0.ln2.w"), g("blocks.0.ln2.b"));
    const act = Array.from({ length: M }, (_, m) => {
      let s = g("blocks.0.mlp.b_in")[m];
      for (let d = 0; d < D; d++) s += h2[d] * g("blocks.0.mlp.W_in")[d * M + m];
      return c.act_fn === "gelu" ? gelu(s) : Math.max(0, s);
    });
    hook?.(act, p);
    const y = row.slice();
    for (let d = 0; d < D; d++) {
      let s = g("blocks.0.mlp.b_out")[d];
      for (let m = 0; m < M; m++) s += act[m] * g("blocks.0.mlp.W_out")[m * D + d];
      y[d] += s;
    }
    const hf = ln(y, g("ln_final.w"), g("ln_final.b"));
    return Array.from({ length: V }, (_, v) => {
      let s = g("unembed.b_U")[v];
      for (let d = 0; d < D; d++) s += hf[d] * g("unembed.W_U")[d * V + v];
      return s;
    });
  });
}

/** Random dictionary weights: W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_out], b_dec [d_out], threshold [d_sae]. */
function randomDictionary(d_in: number, d_out: number, d_sae: number, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => s * (rng.next() - 0.5));
  return new Map<string, Float32Array>([
    ["W_enc", rand(d_in * d_sae, 1)],
    ["b_enc", rand(d_sae, 0.5)],
    ["W_dec", rand(d_sae * d_out, 1)],
    ["b_dec", rand(d_out, 0.5)],
    ["threshold", Float32Array.from({ length: d_sae }, () => 0.4 * rng.next())],
  ]);
}

/** A random SAE over d_in activations: W_enc [d_in, d_sae], W_dec [d_sae, d_in]. */
export function tinySae(
  d_in: number,
  d_sae: number,
  activation: "relu" | "topk" | "jumprelu" = "relu",
  k = 3,
  scale = 2.5,
  seed = 3,
) {
  const weights = randomDictionary(d_in, d_in, d_sae, seed);
  const config = { kind: "sae" as const, d_in, d_sae, d_out: d_in, activation, k, activation_scale: scale, activation_scale_out: scale };
  const sae = new Sae(config, (name) => weights.get(name)!);
  return { sae, weights };
}

/** A random TopK transcoder from d_in to d_out activations: W_enc [d_in, d_sae], W_dec [d_sae, d_out]. */
export function tinyTranscoder(d_in: number, d_out: number, d_sae: number, k = 3, scale = 2.5, scaleOut = 0.7, seed = 5) {
  const weights = randomDictionary(d_in, d_out, d_sae, seed);
  const config = {
    kind: "transcoder" as const, d_in, d_sae, d_out, activation: "topk" as const, k, activation_scale: scale, activation_scale_out: scaleOut,
  };
  return { transcoder: new Sae(config, (name) => weights.get(name)!), weights };
}
