// The one-layer toy transformer of plugins/toy_transformer/transformer.cc,
// over Float32Array, one position at a time with a key/value cache:
//   x = W_E[token] + W_pos[position]
//   x += attention(LN1(x))          causal, n_heads heads of d_head
//   h = LN2(x)                      (hook `input`: LN2 before its weight and bias,
//                                   TransformerLens' hook_normalized)
//   a = act(h W_in + b_in)          act = relu, or gelu (exact erf form)
//                                   (hook `post`, e.g. to pin SAE features)
//   x += a W_out + b_out            (hook `output`: what the MLP adds, in float32
//                                   as the C++ computes it; a transcoder pins here)
//   logits = LN_final(x) W_U + b_U  layer norms with eps 1e-5
// Weights come from the TransformerLens-named tensors the C++ exports
// (W_Q/W_K/W_V [H, D, dh], b_Q.. [H, dh], W_O [H, dh, D]); they are
// transposed once at load so that every matrix-vector product is a run of
// contiguous dot products accumulated in double precision. The MLP output
// projection instead skips the neurons a ReLU left at zero.
//
// A full-sequence forward is the same steps over every position (the cache
// makes that exactly causal attention); inputs longer than n_ctx keep their
// last n_ctx tokens and report `truncated`.

import { matvec, transpose } from "./linalg";
import { SafetensorsFile } from "./safetensors";

export interface TransformerConfig {
  d_model: number;
  d_mlp: number;
  d_vocab: number;
  n_ctx: number;
  n_heads: number;
  d_head: number;
  act_fn: "relu" | "gelu";
}

/** Reads or changes one position's activations at a hook point, in place. */
export type ActivationHook = (activations: Float32Array, position: number) => void;

/** The hook points of the MLP where dictionaries read and write (TransformerLens names). */
export interface MlpHooks {
  /** blocks.0.ln2.hook_normalized: the MLP's input before LN2's weight and bias (d_model). */
  input?: ActivationHook;
  /** blocks.0.mlp.hook_post: the activations after the nonlinearity (d_mlp). */
  post?: ActivationHook;
  /** blocks.0.hook_mlp_out: what the MLP adds to the residual stream (d_model). */
  output?: ActivationHook;
}

export interface ForwardOptions {
  hooks?: MlpHooks | null;
  /** Compute logits for every position (default true); false skips the unembedding. */
  logits?: boolean;
}

export interface ForwardResult {
  /** The token ids that were run (the last n_ctx of the input). */
  ids: number[];
  truncated: boolean;
  /** [ids.length * d_vocab], or null when not asked for. */
  logits: Float32Array | null;
}

export function parseConfig(json: string | Record<string, unknown>): TransformerConfig {
  const c = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown>;
  const int = (key: string): number => {
    const v = c[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      throw new Error(`model config: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const d_model = int("d_model");
  const n_heads = int("n_heads");
  const act = c["act_fn"] ?? "relu";
  if (act !== "relu" && act !== "gelu") throw new Error(`model config: act_fn ${JSON.stringify(act)} is not relu or gelu`);
  if (c["n_layers"] !== undefined && c["n_layers"] !== 1)
    throw new Error(`model config: n_layers ${JSON.stringify(c["n_layers"])}; only one-layer models are supported`);
  if (d_model % n_heads !== 0) throw new Error("model config: n_heads must divide d_model");
  return {
    d_model,
    d_mlp: int("d_mlp"),
    d_vocab: int("d_vocab"),
    n_ctx: int("n_ctx"),
    n_heads,
    d_head: d_model / n_heads,
    act_fn: act,
  };
}

/** erf(x) to ~1e-15 (series) or ~1e-7 absolute (|x| >= 3, where erf is within 2.3e-5 of ±1). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return sum * 1.1283791670955126;
  }
  // Abramowitz & Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return x < 0 ? -y : y;
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

function layerNorm(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array, n: number): void {
  normalize(x, out, n);
  affine(out, w, b, n);
}

/** A LayerNorm before its weight and bias (TransformerLens' hook_normalized). */
function normalize(x: Float32Array, out: Float32Array, n: number): void {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    variance += d * d;
  }
  variance /= n;
  const inv = 1 / Math.sqrt(variance + 1e-5);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * inv;
}

function affine(h: Float32Array, w: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) h[i] = h[i] * w[i] + b[i];
}

/** The key/value cache and scratch buffers of one sequence. */
export class InferenceState {
  /** Positions filled (the next token goes at this position). */
  length = 0;
  readonly keys: Float32Array;
  readonly values: Float32Array;
  readonly x: Float32Array;
  readonly h: Float32Array;
  readonly qkv: Float32Array;
  readonly mixed: Float32Array;
  readonly scores: Float64Array;
  readonly mlp: Float32Array;
  readonly out: Float64Array;
  readonly mlpOut: Float32Array;
  readonly logits: Float32Array;

  constructor(c: TransformerConfig) {
    this.keys = new Float32Array(c.n_ctx * c.d_model);
    this.values = new Float32Array(c.n_ctx * c.d_model);
    this.x = new Float32Array(c.d_model);
    this.h = new Float32Array(c.d_model);
    this.qkv = new Float32Array(3 * c.d_model);
    this.mixed = new Float32Array(c.d_model);
    this.scores = new Float64Array(c.n_ctx);
    this.mlp = new Float32Array(c.d_mlp);
    this.out = new Float64Array(c.d_model);
    this.mlpOut = new Float32Array(c.d_model);
    this.logits = new Float32Array(c.d_vocab);
  }

  reset(): void {
    this.length = 0;
  }
}

export class Transformer {
  readonly config: TransformerConfig;
  private readonly W_E: Float32Array; // [V, D]
  private readonly W_pos: Float32Array; // [T, D]
  private readonly ln1w: Float32Array;
  private readonly ln1b: Float32Array;
  private readonly ln2w: Float32Array;
  private readonly ln2b: Float32Array;
  private readonly lnfw: Float32Array;
  private readonly lnfb: Float32Array;
  private readonly W_QKV: Float32Array; // [3D, D]: row (i*H + h)*dh + k is W_i[h, :, k]
  private readonly b_QKV: Float32Array; // [3D]
  private readonly W_Ot: Float32Array; // [D, H*dh]
  private readonly b_O: Float32Array;
  private readonly W_int: Float32Array; // [M, D]
  private readonly b_in: Float32Array;
  private readonly W_out: Float32Array; // [M, D], as stored: a row per neuron
  private readonly b_out: Float32Array;
  private readonly W_Ut: Float32Array; // [V, D]
  private readonly b_U: Float32Array;

  constructor(config: TransformerConfig, get: (name: string, shape: number[]) => Float32Array) {
    this.config = config;
    const { d_model: D, d_mlp: M, d_vocab: V, n_ctx: T, n_heads: H, d_head: dh } = config;
    this.W_E = get("embed.W_E", [V, D]);
    this.W_pos = get("pos_embed.W_pos", [T, D]);
    this.ln1w = get("blocks.0.ln1.w", [D]);
    this.ln1b = get("blocks.0.ln1.b", [D]);
    this.ln2w = get("blocks.0.ln2.w", [D]);
    this.ln2b = get("blocks.0.ln2.b", [D]);
    this.lnfw = get("ln_final.w", [D]);
    this.lnfb = get("ln_final.b", [D]);
    this.W_QKV = new Float32Array(3 * D * D);
    this.b_QKV = new Float32Array(3 * D);
    ["Q", "K", "V"].forEach((name, i) => {
      const w = get(`blocks.0.attn.W_${name}`, [H, D, dh]);
      const b = get(`blocks.0.attn.b_${name}`, [H, dh]);
      for (let h = 0; h < H; h++)
        for (let k = 0; k < dh; k++) {
          const row = i * D + h * dh + k;
          this.b_QKV[row] = b[h * dh + k];
          for (let d = 0; d < D; d++) this.W_QKV[row * D + d] = w[(h * D + d) * dh + k];
        }
    });
    this.W_Ot = transpose(get("blocks.0.attn.W_O", [H, dh, D]), H * dh, D);
    this.b_O = get("blocks.0.attn.b_O", [D]);
    this.W_int = transpose(get("blocks.0.mlp.W_in", [D, M]), D, M);
    this.b_in = get("blocks.0.mlp.b_in", [M]);
    this.W_out = get("blocks.0.mlp.W_out", [M, D]);
    this.b_out = get("blocks.0.mlp.b_out", [D]);
    this.W_Ut = transpose(get("unembed.W_U", [D, V]), D, V);
    this.b_U = get("unembed.b_U", [V]);
  }

  /** From model.safetensors as the C++ exports it (metadata "config"). */
  static fromSafetensors(file: SafetensorsFile): Transformer {
    const configText = file.metadata["config"];
    if (!configText) throw new Error(`${file.name}: no "config" in the safetensors metadata`);
    return new Transformer(parseConfig(configText), (name, shape) => file.float32(name, shape));
  }

  newState(): InferenceState {
    return new InferenceState(this.config);
  }

  /**
   * Runs `token` at position state.length and appends its keys and values.
   * With `logits`, writes the next-token logits into it (d_vocab floats).
   */
  step(state: InferenceState, token: number, hooks: MlpHooks | null = null, logits: Float32Array | null = null): void {
    const { d_model: D, d_mlp: M, d_vocab: V, n_ctx: T, n_heads: H, d_head: dh } = this.config;
    const pos = state.length;
    if (pos >= T) throw new Error(`the context is full (${T} tokens)`);
    if (!(token >= 0 && token < V && Number.isInteger(token))) throw new Error(`token id ${token} is not in [0, ${V})`);
    const { x, h, qkv, mixed, scores, mlp, out, mlpOut, keys, values } = state;

    const e = token * D, p = pos * D;
    for (let d = 0; d < D; d++) x[d] = this.W_E[e + d] + this.W_pos[p + d];

    // Attention
    layerNorm(x, this.ln1w, this.ln1b, h, D);
    matvec(this.W_QKV, this.b_QKV, h, qkv, 3 * D, D);
    keys.set(qkv.subarray(D, 2 * D), p);
    values.set(qkv.subarray(2 * D, 3 * D), p);
    const scale = 1 / Math.sqrt(dh);
    for (let head = 0; head < H; head++) {
      const o = head * dh;
      let max = -Infinity;
      for (let s = 0; s <= pos; s++) {
        const ks = s * D + o;
        let dot = 0;
        for (let k = 0; k < dh; k++) dot += qkv[o + k] * keys[ks + k];
        const score = Math.fround(dot) * scale;
        scores[s] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let s = 0; s <= pos; s++) {
        const w = Math.exp(scores[s] - max);
        scores[s] = w;
        sum += w;
      }
      const inv = 1 / sum;
      for (let k = 0; k < dh; k++) out[k] = 0;
      for (let s = 0; s <= pos; s++) {
        const w = scores[s] * inv, vs = s * D + o;
        for (let k = 0; k < dh; k++) out[k] += w * values[vs + k];
      }
      for (let k = 0; k < dh; k++) mixed[o + k] = out[k];
    }
    matvec(this.W_Ot, this.b_O, mixed, h, D, D);
    for (let d = 0; d < D; d++) x[d] += h[d];

    // MLP
    normalize(x, h, D);
    hooks?.input?.(h, pos);
    affine(h, this.ln2w, this.ln2b, D);
    matvec(this.W_int, this.b_in, h, mlp, M, D);
    if (this.config.act_fn === "relu") {
      for (let i = 0; i < M; i++) if (!(mlp[i] > 0)) mlp[i] = 0;
    } else {
      for (let i = 0; i < M; i++) mlp[i] = gelu(mlp[i]);
    }
    hooks?.post?.(mlp, pos);
    for (let d = 0; d < D; d++) out[d] = this.b_out[d];
    const W = this.W_out;
    for (let i = 0, row = 0; i < M; i++, row += D) {
      const a = mlp[i];
      if (a === 0) continue;
      for (let d = 0; d < D; d++) out[d] += a * W[row + d];
    }
    mlpOut.set(out);
    hooks?.output?.(mlpOut, pos);
    for (let d = 0; d < D; d++) x[d] += mlpOut[d];

    state.length = pos + 1;
    if (logits) {
      layerNorm(x, this.lnfw, this.lnfb, h, D);
      matvec(this.W_Ut, this.b_U, h, logits, V, D);
    }
  }

  /** The last n_ctx tokens of `ids`, and whether any were dropped. */
  window(ids: ArrayLike<number>): { ids: number[]; truncated: boolean } {
    const all = Array.from(ids);
    const T = this.config.n_ctx;
    return all.length > T ? { ids: all.slice(all.length - T), truncated: true } : { ids: all, truncated: false };
  }

  /** Runs a whole sequence (its last n_ctx tokens); logits for every position. */
  forward(ids: ArrayLike<number>, options: ForwardOptions = {}, state: InferenceState = this.newState()): ForwardResult {
    const { ids: run, truncated } = this.window(ids);
    const V = this.config.d_vocab;
    const wantLogits = options.logits ?? true;
    const logits = wantLogits ? new Float32Array(run.length * V) : null;
    state.reset();
    for (let t = 0; t < run.length; t++)
      this.step(state, run[t], options.hooks ?? null, logits ? logits.subarray(t * V, (t + 1) * V) : null);
    return { ids: run, truncated, logits };
  }
}
