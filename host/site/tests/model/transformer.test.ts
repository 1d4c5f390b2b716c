// The transformer on a tiny random model (no exported files needed): the
// cached, transposed forward against a textbook one, the MLP hooks, the
// context bound, and generation.

import { describe, expect, test } from "vitest";
import { Generator } from "../../src/model/generate";
import { argmax } from "../../src/model/sampling";
import { BpeTokenizer } from "../../src/model/tokenizer";
import { erf, parseConfig, type TransformerConfig } from "../../src/model/transformer";
import { maxAbsDiff } from "./fixture";
import { referenceForward, tinyConfig, tinyModel } from "./tiny";

const V = tinyConfig.d_vocab, T = tinyConfig.n_ctx;

/** A tokenizer whose pieces are the letters a.. (id 1 = </s>), matching the tiny vocabulary. */
function tinyTokenizer(vocab = V): BpeTokenizer {
  const pieces: Array<[string, number, string]> = [["<unk>", 0, "u"], ["</s>", 0, "c"]];
  for (let i = 2; i < vocab; i++) pieces.push([String.fromCharCode(95 + i), -i, "n"]);
  return new BpeTokenizer({ eos_id: 1, pieces });
}

describe("transformer", () => {
  test("the forward pass matches a textbook one at every position", () => {
    for (const act_fn of ["relu", "gelu"] as const) {
      const config: TransformerConfig = { ...tinyConfig, act_fn };
      const { model, weights } = tinyModel(config, 7);
      const ids = [3, 0, 10, 4, 4, 9];
      const { logits, truncated } = model.forward(ids);
      expect(truncated).toBe(false);
      const expected = referenceForward(config, weights, ids);
      for (let t = 0; t < ids.length; t++)
        expect(maxAbsDiff(logits!.subarray(t * V, (t + 1) * V), expected[t]), `${act_fn} position ${t}`).toBeLessThan(1e-4);
    }
  });

  test("step by step with the cache gives the full forward's logits", () => {
    const { model } = tinyModel();
    const ids = [2, 5, 7, 1];
    const full = model.forward(ids).logits!;
    const state = model.newState();
    const logits = new Float32Array(V);
    ids.forEach((id, t) => {
      model.step(state, id, null, logits);
      expect(maxAbsDiff(logits, full.subarray(t * V, (t + 1) * V))).toBe(0);
    });
    expect(() => {
      for (let i = 0; i < T; i++) model.step(state, 2);
    }).toThrow(/context is full/);
  });

  test("the MLP hook sees every position and its changes reach the logits", () => {
    const { model, weights } = tinyModel();
    const ids = [4, 8, 2];
    const seen: number[] = [];
    const zero = (a: { length: number; [i: number]: number }, p: number) => {
      seen.push(p);
      if (p === 1) for (let i = 0; i < a.length; i++) a[i] = i === 3 ? 2 : 0;
    };
    const { logits } = model.forward(ids, { hooks: { post: zero } });
    expect(seen).toEqual([0, 1, 2]);
    const expected = referenceForward(tinyConfig, weights, ids, (a, p) => zero(a, p));
    for (let t = 0; t < ids.length; t++) expect(maxAbsDiff(logits!.subarray(t * V, (t + 1) * V), expected[t])).toBeLessThan(1e-4);
    expect(maxAbsDiff(logits!, model.forward(ids).logits!)).toBeGreaterThan(1e-3);
  });

  test("the MLP's input hook sees LN2 before its weight and bias, the output hook what the MLP adds, and output changes reach the logits", () => {
    const { model, weights } = tinyModel();
    const { d_model: D, d_mlp: M } = tinyConfig;
    const ids = [4, 8, 2];
    const inputs: Float32Array[] = [], outputs: Float32Array[] = [];
    model.forward(ids, { hooks: { input: (h) => void inputs.push(h.slice()), output: (y) => void outputs.push(y.slice()) } });
    expect(inputs.length).toBe(ids.length);
    const W_in = weights.get("blocks.0.mlp.W_in")!, b_in = weights.get("blocks.0.mlp.b_in")!;
    const W_out = weights.get("blocks.0.mlp.W_out")!, b_out = weights.get("blocks.0.mlp.b_out")!;
    const ln2w = weights.get("blocks.0.ln2.w")!, ln2b = weights.get("blocks.0.ln2.b")!;
    inputs.forEach((normalized, t) => {
      // TransformerLens' hook_normalized: the MLP's input is it times LN2's weight plus its bias.
      const h = normalized.map((v, d) => v * ln2w[d] + ln2b[d]);
      const a = Array.from({ length: M }, (_, m) => Math.max(0, b_in[m] + h.reduce((s, v, d) => s + v * W_in[d * M + m], 0)));
      const y = Array.from({ length: D }, (_, d) => b_out[d] + a.reduce((s, v, m) => s + v * W_out[m * D + d], 0));
      expect(maxAbsDiff(outputs[t], y), `position ${t}`).toBeLessThan(1e-4);
    });
    const shifted = model.forward(ids, {
      hooks: {
        output: (y, p) => {
          if (p === 1) y[0] += 1;
        },
      },
    }).logits!;
    const plain = model.forward(ids).logits!;
    expect(maxAbsDiff(shifted.subarray(0, V), plain.subarray(0, V))).toBe(0);
    expect(maxAbsDiff(shifted.subarray(V, 2 * V), plain.subarray(V, 2 * V))).toBeGreaterThan(1e-3);
  });

  test("inputs longer than the context keep their last n_ctx tokens and say truncated", () => {
    const { model } = tinyModel();
    const ids = [2, 3, 4, 5, 6, 7, 8, 9, 10];
    const long = model.forward(ids);
    expect(long.truncated).toBe(true);
    expect(long.ids).toEqual(ids.slice(-T));
    expect(long.logits!.length).toBe(T * V);
    expect(maxAbsDiff(long.logits!, model.forward(ids.slice(-T)).logits!)).toBe(0);
    expect(model.forward(ids.slice(0, T)).truncated).toBe(false);
    expect(model.forward(ids, { logits: false }).logits).toBeNull();
  });

  test("greedy generation with keepOnSlide = n_ctx - 1 is the C++ loop: argmax over the last n_ctx tokens", () => {
    const { model } = tinyModel(tinyConfig, 11);
    const tokenizer = tinyTokenizer();
    const generator = new Generator(model, tokenizer);
    const prompt = [3, 4, 5, 6, 7, 8, 9, 10]; // longer than the context
    // the C++ generate(): re-run the window each step, stop at </s>
    const expected: number[] = [];
    const ids = prompt.slice();
    for (let i = 0; i < 20; i++) {
      const { ids: run, logits } = model.forward(ids);
      const next = argmax(logits!.subarray((run.length - 1) * V, run.length * V));
      if (next === tokenizer.eosId) break;
      ids.push(next);
      expected.push(next);
    }
    const g = generator.generate(prompt, { maxNewTokens: 20, temperature: 0, topK: 0, seed: 0, keepOnSlide: T - 1 });
    expect(g.ids).toEqual(expected);
    expect(g.promptTruncated).toBe(true);
    expect(g.promptIds).toEqual(prompt.slice(-T));
    expect(g.ids.length).toBeLessThanOrEqual(20);
  });

  test("when the cache is full, generation re-runs the last keepOnSlide tokens from position 0", () => {
    const { model } = tinyModel(tinyConfig, 13);
    const tokenizer = tinyTokenizer(V);
    const generator = new Generator(model, tokenizer);
    for (const keep of [0, 2, 3]) {
      let window = [2, 3, 4];
      const expected: number[] = [];
      for (let i = 0; i < 15; i++) {
        const logits = model.forward(window).logits!;
        const next = argmax(logits.subarray((window.length - 1) * V));
        if (next === tokenizer.eosId) break;
        expected.push(next);
        window = window.length < T ? [...window, next] : [...window.slice(window.length - keep), next];
      }
      const g = generator.generate([2, 3, 4], { maxNewTokens: 15, temperature: 0, topK: 0, seed: 0, keepOnSlide: keep });
      expect(g.ids, `keepOnSlide ${keep}`).toEqual(expected);
      expect(expected.length).toBeGreaterThan(T); // it did slide
    }
  });

  test("generation with the default sliding window runs past the context and is deterministic per seed", () => {
    const { model } = tinyModel(tinyConfig, 5);
    const generator = new Generator(model, tinyTokenizer());
    const options = { maxNewTokens: 40, temperature: 1, topK: 0, seed: 123 };
    const a = generator.generate([2, 3], options);
    const b = generator.generate([2, 3], options);
    expect(a.ids).toEqual(b.ids);
    expect(a.ids.length).toBeLessThanOrEqual(40);
    expect(a.ids.every((id) => id >= 0 && id < V && id !== 1)).toBe(true);
    expect(a.promptTruncated).toBe(false);
    // an empty prompt starts with </s>
    expect(generator.generate("", { ...options, maxNewTokens: 0 }).promptIds).toEqual([1]);
  });

  test("erf (for the exact GELU)", () => {
    const known: Array<[number, number]> = [
      [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [2, 0.9953222650189527], [2.9, 0.9999589021219005], [3.5, 0.9999992569016276], [-1, -0.8427007929497149],
    ];
    for (const [x, y] of known) expect(Math.abs(erf(x) - y), `erf(${x})`).toBeLessThan(2e-7);
  });

  test("the config is checked", () => {
    expect(() => parseConfig({ d_model: 8, d_mlp: 4, d_vocab: 3, n_ctx: 2, n_heads: 3 })).toThrow(/n_heads/);
    expect(() => parseConfig({ d_model: 8, d_mlp: 4, d_vocab: 3, n_ctx: 2, n_heads: 2, act_fn: "silu" })).toThrow(/act_fn/);
    expect(parseConfig({ d_model: 8, d_mlp: 4, d_vocab: 3, n_ctx: 2, n_heads: 2 }).d_head).toBe(4);
  });
});
