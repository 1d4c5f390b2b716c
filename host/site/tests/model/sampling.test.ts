// Sampling: seeded determinism, greedy = argmax, top-k restriction,
// temperature. No exported files needed.

import { describe, expect, test } from "vitest";
import { argmax, Rng, Sampler } from "../../src/model/sampling";
import { kthLargest } from "../../src/model/select";

const logits = Float32Array.from([0.5, 2.0, -1.0, 3.0, 2.5, 0.0, 1.0, -3.0, 2.9, 0.1]);

describe("sampling", () => {
  test("the same seed gives the same draws, another seed others", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Rng(2 ** 40 + 1).next()).not.toBe(new Rng(1).next()); // large seeds are not cut to 32 bits
    const sampler = new Sampler(logits.length);
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => sampler.sample(logits, { temperature: 1, topK: 0 }, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  test("greedy (temperature 0) is the argmax, the first one on ties, and draws nothing", () => {
    const sampler = new Sampler(logits.length);
    const rng = new Rng(1), fresh = new Rng(1);
    expect(sampler.sample(logits, { temperature: 0, topK: 0 }, rng)).toBe(3);
    expect(sampler.sample(logits, { temperature: 0, topK: 2 }, rng)).toBe(3);
    expect(sampler.sample(Float32Array.from([1, 5, 5, 2]), { temperature: 0, topK: 0 }, rng)).toBe(1);
    expect(argmax([-Infinity, -5, -7])).toBe(1);
    expect(rng.next()).toBe(fresh.next());
  });

  test("top-k samples only among the k largest logits (ties at the k-th kept)", () => {
    const sampler = new Sampler(logits.length);
    const rng = new Rng(5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const t = sampler.sample(logits, { temperature: 2, topK: 3 }, rng);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([3, 4, 8]); // 3.0, 2.9, 2.5
    const p = sampler.probabilities(logits, { temperature: 2, topK: 3 });
    for (const [token, n] of counts) expect(Math.abs(n / 3000 - p[token])).toBeLessThan(0.04);
    const tied = sampler.probabilities(Float32Array.from([1, 3, 2, 2, 0]), { temperature: 1, topK: 2 });
    expect(Array.from(tied).map((x) => x > 0)).toEqual([false, true, true, true, false]);
  });

  test("probabilities are the softmax of logits / temperature", () => {
    const sampler = new Sampler(logits.length);
    for (const temperature of [0.5, 1, 3]) {
      const p = sampler.probabilities(logits, { temperature, topK: 0 });
      const e = Array.from(logits, (l) => Math.exp(l / temperature));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((x, i) => expect(p[i]).toBeCloseTo(x / sum, 12));
    }
    // a lower temperature concentrates the mass on the argmax
    expect(sampler.probabilities(logits, { temperature: 0.2, topK: 0 })[3]).toBeGreaterThan(
      sampler.probabilities(logits, { temperature: 1, topK: 0 })[3],
    );
  });

  test("sampled frequencies follow the probabilities", () => {
    const sampler = new Sampler(logits.length);
    const rng = new Rng(99);
    const n = 20000;
    const counts = new Array(logits.length).fill(0);
    for (let i = 0; i < n; i++) counts[sampler.sample(logits, { temperature: 1, topK: 0 }, rng)]++;
    const p = sampler.probabilities(logits, { temperature: 1, topK: 0 });
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i]), `token ${i}`).toBeLessThan(4 * Math.sqrt(p[i] / n) + 1e-3));
  });

  test("kthLargest", () => {
    const rng = new Rng(3);
    const scratch = new Float64Array(200);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rng.next() * 200);
      const a = Array.from({ length: n }, () => Math.floor(rng.next() * 20)); // many ties
      const sorted = a.slice().sort((x, y) => y - x);
      const k = 1 + Math.floor(rng.next() * n);
      expect(kthLargest(a, n, k, scratch)).toBe(sorted[k - 1]);
    }
  });
});
