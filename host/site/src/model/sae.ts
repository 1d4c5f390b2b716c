// The dictionaries of plugins/sparse_autoencoder/sae.cc, at one position
// (DATA.md): an SAE reads and writes the same activations x; a transcoder
// reads x and writes (predicts) other activations, of width d_out, with their
// own scale activation_scale_out, and does not subtract b_dec from x.
//   encode  f = act((x * activation_scale - b_dec) W_enc + b_enc)   (a transcoder: no - b_dec)
//           act = relu; topk: the k largest pre-activations, relu'd, others 0;
//           jumprelu: relu(z) where z > threshold[j], else 0 (BatchTopK,
//           Matryoshka and JumpReLU dictionaries are saved in this form)
//   decode  y = (f W_dec + b_dec) / activation_scale_out   (an SAE: activation_scale)
//   the decoder direction of feature i is W_dec[i] / activation_scale_out
//   pinning feature i to c: y' = y + (c - f_i(x)) * W_dec[i] / activation_scale_out
// (y = x for an SAE). Where x and y are in the model: placement.ts.
// W_enc is transposed once at load so that a feature's encoder is contiguous:
// pinning a ReLU dictionary's features then costs one dot product each.

import { SafetensorsFile } from "./safetensors";
import { dot, matvec, transpose } from "./linalg";
import { kthLargest } from "./select";

export interface SaeConfig {
  /** "sae" writes what it reads; "transcoder" writes other activations (placement.ts). */
  kind: "sae" | "transcoder";
  d_in: number;
  d_sae: number;
  /** The width it writes: d_in for an SAE. */
  d_out: number;
  activation: "relu" | "topk" | "jumprelu";
  k: number; // topk only
  activation_scale: number;
  /** The scale of what it writes: activation_scale for an SAE. */
  activation_scale_out: number;
}

export interface Pin {
  feature: number;
  value: number;
}

// The one place architecture names map to behaviour: the kind of dictionary,
// the activation when the cfg names none, and one it cannot name (a JumpReLU
// dictionary says "relu" and gates it by its threshold tensor). A skip
// transcoder's skip term changes neither its codes nor its pins, so the page
// ignores its W_skip.
interface Architecture {
  kind: SaeConfig["kind"];
  named: "relu" | "topk";
  gated?: "jumprelu";
}
const ARCHITECTURES = new Map<string, Architecture>([
  ["standard", { kind: "sae", named: "relu" }],
  ["topk", { kind: "sae", named: "topk" }],
  ["jumprelu", { kind: "sae", named: "relu", gated: "jumprelu" }],
  ["transcoder", { kind: "transcoder", named: "topk" }],
  ["skip_transcoder", { kind: "transcoder", named: "topk" }],
]);

function positiveInteger(c: Record<string, unknown>, key: string): number {
  const v = Number(c[key]);
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`SAE cfg: ${key} must be a positive integer, got ${c[key]}`);
  return v;
}

function positiveScale(c: Record<string, unknown>, key: string): number {
  const scale = Number(c[key] ?? 1);
  if (!(scale > 0)) throw new Error(`SAE cfg: ${key} must be positive, got ${c[key]}`);
  return scale;
}

export function parseSaeConfig(json: string | Record<string, unknown>): SaeConfig {
  const c = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, unknown>;
  const d_in = positiveInteger(c, "d_in"), d_sae = positiveInteger(c, "d_sae");
  const architecture = String(c["architecture"] ?? "standard");
  const known = ARCHITECTURES.get(architecture);
  if (!known) throw new Error(`SAE cfg: architecture "${architecture}" is not one of ${[...ARCHITECTURES.keys()].join(", ")}`);
  const named = String(c["activation_fn_str"] ?? known.named);
  if (named !== "relu" && named !== "topk") throw new Error(`SAE cfg: activation_fn_str "${named}" is not relu or topk`);
  const fn = known.gated ?? named;
  const kwargs = (c["activation_fn_kwargs"] ?? {}) as Record<string, unknown>;
  const k = Number(c["k"] ?? kwargs["k"] ?? 0);
  if (fn === "topk" && !(Number.isInteger(k) && k > 0)) throw new Error("SAE cfg: a topk SAE needs a positive k");
  const activation_scale = positiveScale(c, "activation_scale");
  const kind = known.kind;
  // SAELens' transcoders keep b_dec on the output side; an SAE subtracts it from its input.
  if (c["apply_b_dec_to_input"] === (kind === "transcoder"))
    throw new Error(`SAE cfg: apply_b_dec_to_input ${c["apply_b_dec_to_input"]} is not supported for a ${architecture} dictionary`);
  const output =
    kind === "sae"
      ? { d_out: d_in, activation_scale_out: activation_scale }
      : { d_out: positiveInteger(c, "d_out"), activation_scale_out: positiveScale(c, "activation_scale_out") };
  return { kind, d_in, d_sae, activation: fn, k, activation_scale, ...output };
}

export class Sae {
  readonly config: SaeConfig;
  private readonly W_encT: Float32Array; // [d_sae, d_in]
  private readonly b_enc: Float32Array;
  readonly W_dec: Float32Array; // [d_sae, d_out]
  private readonly b_dec: Float32Array; // [d_out]
  private readonly inputOffset: Float32Array; // b_dec for an SAE, zeros for a transcoder
  private readonly threshold: Float32Array | null; // jumprelu only
  private readonly scale: number; // activation_scale as float32, as torch multiplies by it
  private readonly scaled: Float32Array; // x * scale - inputOffset
  private readonly pre: Float32Array;
  private readonly scratch: Float64Array;

  constructor(config: SaeConfig, get: (name: string, shape: number[]) => Float32Array) {
    this.config = config;
    const { d_in, d_sae, d_out } = config;
    this.W_encT = transpose(get("W_enc", [d_in, d_sae]), d_in, d_sae);
    this.b_enc = get("b_enc", [d_sae]);
    this.W_dec = get("W_dec", [d_sae, d_out]);
    this.b_dec = get("b_dec", [d_out]);
    this.inputOffset = config.kind === "sae" ? this.b_dec : new Float32Array(d_in);
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
    const { scaled, inputOffset, scale } = this;
    for (let i = 0; i < this.config.d_in; i++) scaled[i] = Math.fround(x[i] * scale) - inputOffset[i];
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

  /** The decoder direction of feature i where the dictionary writes: W_dec[i] / activation_scale_out. */
  decoderDirection(i: number): Float32Array {
    const { d_out } = this.config;
    const out = new Float32Array(d_out);
    for (let d = 0; d < d_out; d++) out[d] = this.W_dec[i * d_out + d] / this.config.activation_scale_out;
    return out;
  }

  /** What the codes write: (f W_dec + b_dec) / activation_scale_out (d_out floats). */
  decode(f: Float32Array, out: Float32Array = new Float32Array(this.config.d_out)): Float32Array {
    const { d_out, d_sae } = this.config;
    const acc = new Float64Array(d_out);
    for (let j = 0; j < d_sae; j++) {
      const a = f[j];
      if (a === 0) continue;
      for (let d = 0; d < d_out; d++) acc[d] += a * this.W_dec[j * d_out + d];
    }
    for (let d = 0; d < d_out; d++) out[d] = (acc[d] + this.b_dec[d]) / this.config.activation_scale_out;
    return out;
  }

  /**
   * Pins features: written += (c - f_i(x)) * W_dec[i] / activation_scale_out, for each pin, with f
   * the codes of x. For an SAE `written` is x itself (the default); a transcoder writes elsewhere.
   */
  pin(x: Float32Array, pins: readonly Pin[], written: Float32Array = x): void {
    if (pins.length === 0) return;
    const { d_out, d_sae, activation } = this.config;
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
      deltas[p] = (pins[p].value - fi) / this.config.activation_scale_out;
    }
    for (let p = 0; p < pins.length; p++) {
      const row = pins[p].feature * d_out, delta = deltas[p];
      for (let d = 0; d < d_out; d++) written[d] += delta * this.W_dec[row + d];
    }
  }
}
