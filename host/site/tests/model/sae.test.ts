// The SAE on a tiny random dictionary: encode (relu and topk) against the
// formula in DATA.md, decode, the decoder direction, and pinning; the
// transcoder's encode (no b_dec on its input) and pins (at its own scale,
// into what it writes).

import { describe, expect, test } from "vitest";
import { parseSaeConfig, Sae } from "../../src/model/sae";
import { SafetensorsFile, writeSafetensors } from "../../src/model/safetensors";
import { Rng } from "../../src/model/sampling";
import { maxAbsDiff } from "./fixture";
import { tinySae, tinyTranscoder } from "./tiny";
import { pinHooks } from "../../src/model/placement";

const d_in = 6, d_sae = 10;

function preActivations(w: Map<string, Float32Array>, x: Float32Array, scale: number): number[] {
  const W_enc = w.get("W_enc")!, b_enc = w.get("b_enc")!, b_dec = w.get("b_dec")!;
  return Array.from({ length: d_sae }, (_, j) => {
    let s = b_enc[j];
    for (let i = 0; i < d_in; i++) s += (x[i] * scale - b_dec[i]) * W_enc[i * d_sae + j];
    return s;
  });
}

function activations(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: d_in }, () => Math.max(0, rng.next() * 2 - 0.5));
}

describe("sae", () => {
  test("relu encode is relu((x * scale - b_dec) W_enc + b_enc)", () => {
    const { sae, weights } = tinySae(d_in, d_sae);
    for (let seed = 0; seed < 5; seed++) {
      const x = activations(seed);
      const expected = preActivations(weights, x, 2.5).map((v) => Math.max(0, v));
      expect(maxAbsDiff(sae.encode(x), expected)).toBeLessThan(1e-5);
      const active = sae.activeFeatures(x);
      expect(active.map(([f]) => f).sort((a, b) => a - b)).toEqual(expected.flatMap((v, j) => (v > 0 ? [j] : [])));
      for (let i = 1; i < active.length; i++) expect(active[i - 1][1]).toBeGreaterThanOrEqual(active[i][1]);
      expect(sae.activeFeatures(x, 2).length).toBe(Math.min(2, active.length));
    }
  });

  test("topk encode keeps the k largest pre-activations, relu'd", () => {
    const { sae, weights } = tinySae(d_in, d_sae, "topk", 3);
    for (let seed = 0; seed < 5; seed++) {
      const x = activations(seed);
      const pre = preActivations(weights, x, 2.5);
      const top = pre.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, 3);
      const expected = new Array(d_sae).fill(0);
      for (const [v, j] of top) expected[j] = Math.max(0, v);
      expect(maxAbsDiff(sae.encode(x), expected)).toBeLessThan(1e-5);
    }
  });

  test("jumprelu encode keeps a pre-activation only above its feature's threshold", () => {
    const { sae, weights } = tinySae(d_in, d_sae, "jumprelu");
    const threshold = weights.get("threshold")!;
    let gated = 0;
    for (let seed = 0; seed < 5; seed++) {
      const x = activations(seed);
      const expected = preActivations(weights, x, 2.5).map((v, j) => (v > threshold[j] && v > 0 ? v : 0));
      gated += preActivations(weights, x, 2.5).filter((v, j) => v > 0 && v <= threshold[j]).length;
      expect(maxAbsDiff(sae.encode(x), expected)).toBeLessThan(1e-5);
    }
    expect(gated).toBeGreaterThan(0); // the thresholds did remove some positive pre-activations
    expect(parseSaeConfig({ d_in: 4, d_sae: 8, architecture: "jumprelu", activation_fn_str: "relu" }).activation).toBe(
      "jumprelu",
    );
    expect(() => parseSaeConfig({ d_in: 4, d_sae: 8, architecture: "gated" })).toThrow(/architecture "gated" is not one of/);
    expect(() => parseSaeConfig({ d_in: 4, d_sae: 8, architecture: "constructor" })).toThrow(/architecture "constructor"/);
  });

  test("decode and the decoder direction", () => {
    const { sae, weights } = tinySae(d_in, d_sae);
    const f = new Float32Array(d_sae);
    f[2] = 1.5;
    f[7] = 0.5;
    const W_dec = weights.get("W_dec")!, b_dec = weights.get("b_dec")!;
    const expected = Array.from({ length: d_in }, (_, d) => (1.5 * W_dec[2 * d_in + d] + 0.5 * W_dec[7 * d_in + d] + b_dec[d]) / 2.5);
    expect(maxAbsDiff(sae.decode(f), expected)).toBeLessThan(1e-6);
    expect(maxAbsDiff(sae.decoderDirection(4), Array.from(W_dec.subarray(4 * d_in, 5 * d_in), (v) => v / 2.5))).toBeLessThan(1e-7);
  });

  test("pinning adds (c - f_i(x)) * W_dec[i] / scale, reading f from the unpinned x", () => {
    for (const activation of ["relu", "topk", "jumprelu"] as const) {
      const { sae } = tinySae(d_in, d_sae, activation, 3);
      const x = activations(11);
      const f = sae.encode(x).slice();
      const pins = [{ feature: 1, value: 4 }, { feature: 6, value: 0 }];
      const pinned = x.slice();
      sae.pin(pinned, pins);
      const expected = Array.from(x);
      for (const { feature, value } of pins) {
        const dir = sae.decoderDirection(feature);
        for (let d = 0; d < d_in; d++) expected[d] += (value - f[feature]) * dir[d];
      }
      expect(maxAbsDiff(pinned, expected), activation).toBeLessThan(1e-5);
      // pinning a feature to its own value changes nothing
      const same = x.slice();
      sae.pin(same, [{ feature: 3, value: f[3] }]);
      expect(maxAbsDiff(same, x)).toBeLessThan(1e-6);
    }
    const { sae } = tinySae(d_in, d_sae);
    expect(pinHooks(sae, [])).toBeNull();
    expect(() => sae.pin(new Float32Array(d_in), [{ feature: d_sae, value: 1 }])).toThrow(/not in \[0, 10\)/);
  });

  test("loads from safetensors with cfg metadata, F16 weights included", () => {
    const { weights } = tinySae(d_in, d_sae);
    const cfg = { d_in, d_sae, activation_fn_str: "topk", k: 2, activation_scale: 2.5, apply_b_dec_to_input: true };
    const tensors = Object.fromEntries(
      [...weights].map(([name, data]) => [
        name,
        { dtype: "F16" as const, shape: name === "W_enc" ? [d_in, d_sae] : name === "W_dec" ? [d_sae, d_in] : [data.length], data },
      ]),
    );
    const sae = Sae.fromSafetensors(new SafetensorsFile(writeSafetensors(tensors, { cfg: JSON.stringify(cfg) }), "sae.safetensors"));
    expect(sae.config).toEqual({
      kind: "sae", d_in, d_sae, d_out: d_in, activation: "topk", k: 2, activation_scale: 2.5, activation_scale_out: 2.5,
    });
    expect(sae.activeFeatures(activations(1)).length).toBeLessThanOrEqual(2);
    expect(parseSaeConfig({ d_in: 4, d_sae: 8, activation_fn_str: "topk", activation_fn_kwargs: { k: 5 } }).k).toBe(5);
    expect(() => parseSaeConfig({ d_in: 4, d_sae: 8, activation_fn_str: "topk" })).toThrow(/positive k/);
  });

  test("a transcoder encodes its input without b_dec and pins what it writes at its output scale", () => {
    const d_out = 4;
    const { transcoder, weights } = tinyTranscoder(d_in, d_out, d_sae, 3);
    const W_enc = weights.get("W_enc")!, b_enc = weights.get("b_enc")!, W_dec = weights.get("W_dec")!;
    const x = activations(4);
    const pre = Array.from({ length: d_sae }, (_, j) => {
      let s = b_enc[j];
      for (let i = 0; i < d_in; i++) s += x[i] * 2.5 * W_enc[i * d_sae + j];
      return s;
    });
    const top = pre.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    const expected = new Array(d_sae).fill(0);
    for (const [v, j] of top) expected[j] = Math.max(0, v);
    const f = transcoder.encode(x).slice();
    expect(maxAbsDiff(f, expected)).toBeLessThan(1e-5);

    const y = Float32Array.from({ length: d_out }, (_, d) => d - 1.5);
    const pinned = y.slice(), unchanged = x.slice();
    transcoder.pin(unchanged, [{ feature: 2, value: 3 }], pinned);
    expect(unchanged).toEqual(x); // the input is read, not written
    const shifted = Array.from(y, (v, d) => v + ((3 - f[2]) * W_dec[2 * d_out + d]) / 0.7);
    expect(maxAbsDiff(pinned, shifted)).toBeLessThan(1e-5);
    expect(maxAbsDiff(transcoder.decoderDirection(2), Array.from(W_dec.subarray(2 * d_out, 3 * d_out), (v) => v / 0.7))).toBeLessThan(1e-7);
  });

  test("a transcoder's cfg: SAELens' keys, b_dec kept off its input, d_out and its own scale", () => {
    const cfg = {
      d_in: 4, d_sae: 8, d_out: 6, architecture: "transcoder", activation_fn_str: "topk", activation_fn_kwargs: { k: 2 },
      activation_scale: 1.5, activation_scale_out: 0.5, apply_b_dec_to_input: false,
    };
    expect(parseSaeConfig(cfg)).toEqual({
      kind: "transcoder", d_in: 4, d_sae: 8, d_out: 6, activation: "topk", k: 2, activation_scale: 1.5, activation_scale_out: 0.5,
    });
    expect(parseSaeConfig({ ...cfg, architecture: "skip_transcoder" }).kind).toBe("transcoder");
    expect(() => parseSaeConfig({ ...cfg, apply_b_dec_to_input: true })).toThrow(/apply_b_dec_to_input true/);
    expect(() => parseSaeConfig({ ...cfg, d_out: undefined })).toThrow(/d_out must be a positive integer/);
    expect(() => parseSaeConfig({ d_in: 4, d_sae: 8, apply_b_dec_to_input: false })).toThrow(/apply_b_dec_to_input false/);
  });
});
