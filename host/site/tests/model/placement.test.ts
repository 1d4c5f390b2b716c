// Where dictionaries sit in the tiny random model: an SAE at the MLP's
// activations, a transcoder from the MLP's input to its output; checked
// against hooks written out by hand.

import { describe, expect, test } from "vitest";
import { checkFits, featureHooks, pinHooks } from "../../src/model/placement";
import { maxAbsDiff } from "./fixture";
import { tinyConfig, tinyModel, tinySae, tinyTranscoder } from "./tiny";

const { d_model: D, d_mlp: M } = tinyConfig;
const ids = [4, 8, 2, 5];

describe("placement", () => {
  test("a transcoder's features are its codes of the MLP's input", () => {
    const { model } = tinyModel();
    const { transcoder } = tinyTranscoder(D, D, 12, 3);
    const inputs: Float32Array[] = [];
    model.forward(ids, { logits: false, hooks: { input: (h) => void inputs.push(h.slice()) } });
    const seen: Array<Array<[number, number]>> = [];
    model.forward(ids, { logits: false, hooks: featureHooks(transcoder, (features) => void seen.push(features)) });
    expect(seen).toEqual(inputs.map((h) => transcoder.activeFeatures(h)));
    expect(seen.some((features) => features.length > 0)).toBe(true);
  });

  test("pinning a transcoder feature adds (c - f_i(MLP input)) * its direction to the MLP's output", () => {
    const { model } = tinyModel();
    const { transcoder } = tinyTranscoder(D, D, 12, 3);
    const direction = transcoder.decoderDirection(5);
    let code = 0;
    const byHand = model.forward(ids, {
      hooks: {
        input: (h) => void (code = transcoder.encode(h)[5]),
        output: (y) => {
          for (let d = 0; d < D; d++) y[d] += (2 - code) * direction[d];
        },
      },
    }).logits!;
    // pinned twice: the last value holds
    const pinned = model.forward(ids, { hooks: pinHooks(transcoder, [{ feature: 5, value: 9 }, { feature: 5, value: 2 }]) }).logits!;
    expect(maxAbsDiff(pinned, byHand)).toBeLessThan(1e-5);
    expect(maxAbsDiff(pinned, model.forward(ids).logits!)).toBeGreaterThan(1e-3);
  });

  test("pinning an SAE feature moves the MLP's activations", () => {
    const { model } = tinyModel();
    const { sae } = tinySae(M, 10);
    const byHand = model.forward(ids, { hooks: { post: (a) => sae.pin(a, [{ feature: 3, value: 4 }]) } }).logits!;
    const pinned = model.forward(ids, { hooks: pinHooks(sae, [{ feature: 3, value: 4 }]) }).logits!;
    expect(maxAbsDiff(pinned, byHand)).toBe(0);
    expect(maxAbsDiff(pinned, model.forward(ids).logits!)).toBeGreaterThan(1e-3);
  });

  test("a dictionary of other widths than where it sits is refused, saying both", () => {
    expect(() => checkFits(tinySae(M, 10).sae, tinyConfig)).not.toThrow();
    expect(() => checkFits(tinySae(D, 10).sae, tinyConfig)).toThrow(/SAE reads 8 and writes 8 activations, but the model has 16 and 16/);
    expect(() => checkFits(tinyTranscoder(D, D, 12).transcoder, tinyConfig)).not.toThrow();
    expect(() => checkFits(tinyTranscoder(M, D, 12).transcoder, tinyConfig)).toThrow(/transcoder reads 16 and writes 8/);
  });
});
