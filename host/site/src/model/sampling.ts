// Choosing the next token from logits, as the C++ toy_transformer's sample():
//   temperature <= 0: the argmax (the first one on ties);
//   else logits / temperature, restricted to the top_k largest when
//   0 < top_k < vocabulary (every logit >= the k-th largest stays, so ties
//   may keep a few more), softmax in double precision, one draw.
// The draw comes from a small seeded PRNG (xoshiro128** seeded by
// splitmix32), not the C++ mt19937_64: the same seed gives the same
// sequence of uniforms here, so a run with pinned features and one without
// can be compared token by token. Each sampled token consumes exactly one
// uniform; greedy decoding consumes none.

import { kthLargest } from "./select";

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Any finite number as the seed (its integer part, up to 2^53). */
  constructor(seed: number) {
    const s = Math.trunc(Number.isFinite(seed) ? seed : 0);
    const lo = s >>> 0;
    const hi = Math.floor(Math.abs(s) / 4294967296) >>> 0;
    let state = (lo ^ Math.imul(hi, 0x9e3779b9) ^ (s < 0 ? 0x5bd1e995 : 0)) >>> 0;
    const next = (): number => {
      // splitmix32
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32 random bits. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0, max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > max) {
      max = v;
      best = i;
    }
  }
  return best;
}

export interface SamplingOptions {
  temperature: number; // <= 0: greedy
  topK: number; // <= 0 or >= vocabulary: whole vocabulary
}

/** Samples token ids from logits with preallocated buffers (one Sampler per vocabulary size). */
export class Sampler {
  private readonly scaled: Float64Array;
  private readonly scratch: Float64Array;

  constructor(readonly vocabSize: number) {
    this.scaled = new Float64Array(vocabSize);
    this.scratch = new Float64Array(vocabSize);
  }

  /** The probability of each token under `options` (for tests and display). */
  probabilities(logits: ArrayLike<number>, options: SamplingOptions, out = new Float64Array(logits.length)): Float64Array {
    const n = logits.length;
    if (!(options.temperature > 0)) {
      out.fill(0);
      out[argmax(logits)] = 1;
      return out;
    }
    const sum = this.weights(logits, options);
    for (let i = 0; i < n; i++) out[i] = this.scaled[i] / sum;
    return out;
  }

  /** Leaves unnormalized softmax weights in this.scaled (0 outside the top k); returns their sum. */
  private weights(logits: ArrayLike<number>, options: SamplingOptions): number {
    const n = logits.length;
    if (n > this.vocabSize) throw new Error(`${n} logits for a sampler of ${this.vocabSize}`);
    const scaled = this.scaled;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = logits[i] / options.temperature;
      scaled[i] = v;
      if (v > max) max = v;
    }
    let threshold = -Infinity;
    const k = Math.floor(options.topK);
    if (k > 0 && k < n) threshold = kthLargest(scaled, n, k, this.scratch);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = scaled[i];
      const w = v >= threshold ? Math.exp(v - max) : 0;
      scaled[i] = w;
      sum += w;
    }
    return sum;
  }

  sample(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
    if (!(options.temperature > 0)) return argmax(logits);
    const n = logits.length;
    const sum = this.weights(logits, options);
    const u = rng.next() * sum;
    const w = this.scaled;
    let acc = 0, last = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      acc += w[i];
      last = i;
      if (u < acc) return i;
    }
    return last; // rounding left u at the very end
  }
}
