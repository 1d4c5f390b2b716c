// The sparse autoencoder of plugins/sparse_autoencoder/sae.cc over the MLP
// activations x (after the ReLU) of one position (DATA.md):
//   encode  f = act((x * activation_scale - b_dec) W_enc + b_enc)
//           act = relu; topk: the k largest pre-activations, relu'd, others 0;
//           jumprelu: relu(z) where z > threshold[j], else 0 (BatchTopK,
//           Matryoshka and JumpReLU dictionaries are saved in this form)
//   decode  x_hat = (f W_dec + b_dec) / activation_scale
//   the decoder direction of feature i in MLP space is W_dec[i] / activation_scale
//   pinning feature i to c: x' = x + (c - f_i(x)) * W_dec[i] / activation_scale
// W_enc is transposed once at load so that a feature's encoder is contiguous:
// pinning a ReLU dictionary's features then costs one dot product each.

import { SafetensorsFile } from "./safetensors";
import { dot, matvec, transpose } from "./linalg";
import { kthLargest } from "./select";
import type { MlpHook } from "./transformer";

export interface SaeConfig {
  d_in: number;
  d_sae: number;
  activation: "relu" | "topk" | "jumprelu";
  k: number; // topk only
  activation_scale: number;
}

export interface Pin {
  feature: number;
  value: number;
}

export function parseSaeConfig(json: string | Record<string, unknown>): SaeConfig {
  const c = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown>;
  const d_in = Number(c["d_in"]), d_sae = Number(c["d_sae"]);
  if (!(Number.isInteger(d_in) && d_in > 0 && Number.isInteger(d_sae) && d_sae > 0))
    throw new Error(`SAE cfg: d_in and d_sae must be positive integers, got ${c["d_in"]}, ${c["d_sae"]}`);
  const architecture = String(c["architecture"] ?? "standard");
  if (!["standard", "topk", "jumprelu"].includes(architecture))
    throw new Error(`SAE cfg: architecture "${architecture}" is not standard, topk or jumprelu`);
  const named = String(c["activation_fn_str"] ?? (architecture === "topk" ? "topk" : "relu"));
  if (named !== "relu" && named !== "topk") throw new Error(`SAE cfg: activation_fn_str "${named}" is not relu or topk`);
  // A JumpReLU dictionary says "relu" and gates it by its threshold tensor.
  const fn = architecture === "jumprelu" ? "jumprelu" : named;
  const kwargs = (c["activation_fn_kwargs"] ?? {}) as Record<string, unknown>;
  const k = Number(c["k"] ?? kwargs["k"] ?? 0);
  if (fn === "topk" && !(Number.isInteger(k) && k > 0)) throw new Error("SAE cfg: a topk SAE needs a positive k");
  const scale = Number(c["activation_scale"] ?? 1);
  if (!(scale > 0)) throw new Error(`SAE cfg: activation_scale must be positive, got ${c["activation_scale"]}`);
  if (c["apply_b_dec_to_input"] === false) throw new Error("SAE cfg: apply_b_dec_to_input false is not supported");
  return { d_in, d_sae, activation: fn, k, activation_scale: scale };
}

export class Sae {
  readonly config: SaeConfig;
  private readonly W_encT: Float32Array; // [d_sae, d_in]
  private readonly b_enc: Float32Array;
  readonly W_dec: Float32Array; // [d_sae, d_in]
  private readonly b_dec: Float32Array;
  private readonly threshold: Float32Array | null; // jumprelu only
  private readonly scale: number; // activation_scale as float32, as torch multiplies by it
  private readonly scaled: Float32Array; // x * scale - b_dec
  private readonly pre: Float32Array;
  private readonly scratch: Float64Array;

  constructor(config: SaeConfig, get: (name: string, shape: number[]) => Float32Array) {
    this.config = config;
    const { d_in, d_sae } = config;
    this.W_encT = transpose(get("W_enc", [d_in, d_sae]), d_in, d_sae);
    this.b_enc = get("b_enc", [d_sae]);
    this.W_dec = get("W_dec", [d_sae, d_in]);
    this.b_dec = get("b_dec", [d_in]);
    this.threshold = config.activation === "jumprelu" ? get("threshold", [d_sae]) : null;
    this.scale = Math.fround(config.activation_scale);
    this.scaled = new Float32Array(d_in);
    this.pre = new Float32Array(d_sae);
    this.scratch = new Float64Array(d_sae);
  }

  /** From sae.safetensors as DATA.md describes it (metadata "cfg"), or a cfg given separately. */
  static fromSafetensors(file: SafetensorsFile, cfg?: string | Record<string, unknown>): Sae {
    const text = cfg ?? file.metadata["cfg"];
    if (!text) throw new Error(`${file.name}: no "cfg" in the safetensors metadata`);
    return new Sae(parseSaeConfig(text), (name, shape) => file.float32(name, shape));
  }

  private prepare(x: Float32Array): void {
    const { scaled, b_dec, scale } = this;
    for (let i = 0; i < this.config.d_in; i++) scaled[i] = Math.fround(x[i] * scale) - b_dec[i];
  }

  private preActivation(j: number): number {
    const n = this.config.d_in;
    return Math.fround(this.b_enc[j] + dot(this.W_encT, j * n, this.scaled, n));
  }

  /** A ReLU or JumpReLU feature's activation from its pre-activation. */
  private gate(j: number, pre: number): number {
    const floor = this.threshold ? this.threshold[j] : 0;
    return pre > floor && pre > 0 ? pre : 0;
  }

  /** Encodes x (d_in floats) into `out` (d_sae floats), all features. */
  encode(x: Float32Array, out: Float32Array = new Float32Array(this.config.d_sae)): Float32Array {
    const { d_sae, activation, k } = this.config;
    this.prepare(x);
    matvec(this.W_encT, this.b_enc, this.scaled, out, d_sae, this.config.d_in);
    if (activation === "topk") this.keepTopK(out, k);
    else for (let j = 0; j < d_sae; j++) out[j] = this.gate(j, out[j]);
    return out;
  }

  /** Keeps the k largest of `pre` (the first ones on ties, as many as fit), relu'd; zeroes the rest. */
  private keepTopK(pre: Float32Array, k: number): void {
    const n = this.config.d_sae;
    if (k >= n) {
      for (let j = 0; j < n; j++) if (!(pre[j] > 0)) pre[j] = 0;
      return;
    }
    const threshold = kthLargest(pre, n, k, this.scratch);
    let above = 0;
    for (let j = 0; j < n; j++) if (pre[j] > threshold) above++;
    let ties = k - above;
    for (let j = 0; j < n; j++) {
      const v = pre[j];
      let keep = v > threshold;
      if (!keep && v === threshold && ties > 0) {
        keep = true;
        ties--;
      }
      pre[j] = keep && v > 0 ? v : 0;
    }
  }

  /** The nonzero codes of x as [feature, activation], highest first, at most `topN`. */
  activeFeatures(x: Float32Array, topN = Infinity): Array<[number, number]> {
    const f = this.encode(x, this.pre);
    const active: Array<[number, number]> = [];
    for (let j = 0; j < f.length; j++) if (f[j] > 0) active.push([j, f[j]]);
    active.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return active.length > topN ? active.slice(0, topN) : active;
  }

  /** The decoder direction of feature i in MLP space: W_dec[i] / activation_scale. */
  decoderDirection(i: number): Float32Array {
    const { d_in } = this.config;
    const out = new Float32Array(d_in);
    for (let d = 0; d < d_in; d++) out[d] = this.W_dec[i * d_in + d] / this.config.activation_scale;
    return out;
  }

  /** x_hat = (f W_dec + b_dec) / activation_scale. */
  decode(f: Float32Array, out: Float32Array = new Float32Array(this.config.d_in)): Float32Array {
    const { d_in, d_sae } = this.config;
    const acc = new Float64Array(d_in);
    for (let j = 0; j < d_sae; j++) {
      const a = f[j];
      if (a === 0) continue;
      for (let d = 0; d < d_in; d++) acc[d] += a * this.W_dec[j * d_in + d];
    }
    for (let d = 0; d < d_in; d++) out[d] = (acc[d] + this.b_dec[d]) / this.config.activation_scale;
    return out;
  }

  /** Pins features in place: x += (c - f_i(x)) * W_dec[i] / activation_scale, for each pin. */
  pin(x: Float32Array, pins: readonly Pin[]): void {
    if (pins.length === 0) return;
    const { d_in, d_sae, activation } = this.config;
    this.prepare(x);
    const f = this.pre;
    if (activation === "topk") this.encode(x, f);
    // Every f_i(x) is read from the unpinned x before any pin moves it.
    const deltas = pins.length <= d_sae ? this.scratch : new Float64Array(pins.length);
    for (let p = 0; p < pins.length; p++) {
      const i = pins[p].feature;
      if (!(Number.isInteger(i) && i >= 0 && i < d_sae)) throw new Error(`feature ${i} is not in [0, ${d_sae})`);
      let fi: number;
      if (activation === "topk") fi = f[i];
      else fi = this.gate(i, this.preActivation(i));
      deltas[p] = (pins[p].value - fi) / this.config.activation_scale;
    }
    for (let p = 0; p < pins.length; p++) {
      const row = pins[p].feature * d_in, delta = deltas[p];
      for (let d = 0; d < d_in; d++) x[d] += delta * this.W_dec[row + d];
    }
  }

  /** An MLP hook that pins `pins` at every position (null when there are none). */
  pinHook(pins: readonly Pin[]): MlpHook | null {
    if (pins.length === 0) return null;
    const last = new Map<number, number>(); // a feature pinned twice keeps its last value
    for (const p of pins) last.set(p.feature, p.value);
    const copy = [...last].map(([feature, value]) => ({ feature, value }));
    return (x) => this.pin(x, copy);
  }
}
