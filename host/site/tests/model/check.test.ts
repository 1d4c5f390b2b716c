// The browser model against the C++ one: check.json's golden values (DATA.md),
// computed by the C++ tokenizer, transformer and dictionary on the exported
// files, for a dictionary of every architecture the page runs (SAEs: standard,
// TopK, and BatchTopK and JumpReLU in their saved JumpReLU form; a transcoder).
// Needs DICTLAB_SITE_ARCHITECTURES (see fixture.ts); fails without it.

import { describe, expect, test } from "vitest";
import { featureHooks, pinHooks } from "../../src/model/placement";
import { architectureSites, fixture, maxAbsDiff } from "./fixture";

const TOLERANCE = 1e-4;
const sites = architectureSites();

test("the fixture has a dictionary of every architecture the page runs", () => {
  const architectures = new Set(sites.map(({ dir }) => fixture(dir).architecture));
  expect([...architectures].sort()).toEqual(["jumprelu", "standard", "topk", "transcoder"]);
});

test("the tokenizer gives the C++ ids on every text", () => {
  const { model, check } = fixture(sites[0].dir);
  expect(check.tokenizer.length).toBeGreaterThan(0);
  for (const { text, ids } of check.tokenizer) {
    expect(model.tokenizer.encode(text), JSON.stringify(text)).toEqual(ids);
    // and decoding gives the text back (SentencePiece round trip; <unk> would not)
    if (!ids.includes(model.tokenizer.unkId)) {
      expect(model.tokenizer.decode(ids)).toBe(text);
      expect(model.tokenizer.displayTokens(ids).join("")).toBe(text);
    }
  }
});

describe.each(sites)("against the C++ export of $stage (check.json)", ({ stage, dir }) => {
  const name = () => `${stage} (${fixture(dir).architecture})`;

  test("logits agree within 1e-4 on every position", () => {
    const { model, check } = fixture(dir);
    const V = model.vocabSize;
    const { logits } = model.model.forward(check.logits.ids);
    expect(check.logits.values.length).toBe(check.logits.ids.length);
    let worst = 0;
    check.logits.values.forEach((expected, t) => {
      const diff = maxAbsDiff(logits!.subarray(t * V, (t + 1) * V), expected);
      expect(diff, `position ${t}`).toBeLessThan(TOLERANCE);
      worst = Math.max(worst, diff);
    });
    console.log(`${name()} logits: max abs difference ${worst.toExponential(2)} over ${check.logits.ids.length} positions`);
  });

  test("the dictionary's nonzero codes agree (same features, values within 1e-4)", () => {
    const { model, check } = fixture(dir);
    const perPosition: Array<Array<[number, number]>> = [];
    model.model.forward(check.features.ids, { logits: false, hooks: featureHooks(model.sae!, (f) => void perPosition.push(f)) });
    expect(perPosition.length).toBe(check.features.values.length);
    let worst = 0, total = 0;
    check.features.values.forEach((expected, t) => {
      const ours = new Map(perPosition[t]);
      const theirs = new Map(expected.map(([f, v]) => [f, v] as [number, number]));
      expect([...ours.keys()].sort((a, b) => a - b), `features active at position ${t}`).toEqual(
        [...theirs.keys()].sort((a, b) => a - b),
      );
      for (const [feature, value] of theirs) {
        const diff = Math.abs(ours.get(feature)! - value);
        expect(diff, `feature ${feature} at position ${t}`).toBeLessThan(TOLERANCE);
        worst = Math.max(worst, diff);
      }
      total += theirs.size;
    });
    expect(total, "some feature must fire, or the test proves nothing").toBeGreaterThan(0);
    console.log(`${name()} codes: ${total} nonzero, max abs difference ${worst.toExponential(2)}`);
  });

  test("logits with a pinned feature agree within 1e-4 on every position", () => {
    const { model, check } = fixture(dir);
    const V = model.vocabSize;
    const hooks = pinHooks(model.sae!, [{ feature: check.pinned.feature, value: check.pinned.value }]);
    const { logits } = model.model.forward(check.logits.ids, { hooks });
    let worst = 0;
    check.pinned.values.forEach((expected, t) => {
      const diff = maxAbsDiff(logits!.subarray(t * V, (t + 1) * V), expected);
      expect(diff, `position ${t}`).toBeLessThan(TOLERANCE);
      worst = Math.max(worst, diff);
    });
    // the pin must change something, or the test proves nothing
    const plain = model.model.forward(check.logits.ids).logits!;
    expect(maxAbsDiff(plain, logits!)).toBeGreaterThan(10 * TOLERANCE);
    console.log(`${name()} pinned logits: max abs difference ${worst.toExponential(2)}`);
  });

  test("the worker's requests run on the exported model", () => {
    const { model, check } = fixture(dir);
    const text = check.tokenizer[0].text;
    const tokens = model.tokenize(text);
    expect(tokens.ids).toEqual(check.tokenizer[0].ids.slice(-model.contextLength));
    if (!tokens.truncated) expect(tokens.tokens.join("")).toBe(text); // display strings cover the text
    const features = model.features(text, 5);
    expect(features.tokens.length).toBe(tokens.ids.length);
    for (const t of features.tokens) {
      expect(t.features.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < t.features.length; i++) expect(t.features[i - 1][1]).toBeGreaterThanOrEqual(t.features[i][1]);
    }
    const request = { prompt: text, maxNewTokens: 16, temperature: 0.8, topK: 40, seed: 7, pins: [] };
    const a = model.generate(request);
    const b = model.generate(request);
    expect(a.ids).toEqual(b.ids);
    expect(a.text).toBe(model.tokenizer.decode(a.ids));
    const pinned = model.generate({ ...request, pins: [{ feature: check.pinned.feature, value: 50 }] });
    expect(pinned.tokensPerSecond).toBeGreaterThan(0);
  });
});
