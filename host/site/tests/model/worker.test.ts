// The worker's message protocol (api.ts) on a tiny model served by a fake
// fetch: load, tokenize, generate, features, and the errors. No exported
// files needed.

import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Request, Response } from "../../src/model/api";
import { writeSafetensors } from "../../src/model/safetensors";
import { randomWeights, shapes, tinyConfig, tinySae } from "./tiny";

const files = new Map<string, ArrayBuffer>();
const posted: Response[] = [];
let waiting: Array<(r: Response) => void> = [];
let onmessage: (event: { data: Request }) => void;

function tinyTokenizerJson(): string {
  const pieces: Array<[string, number, string]> = [["<unk>", 0, "u"], ["</s>", 0, "c"], ["<0xC3>", 0, "b"], ["<0xA9>", 0, "b"]];
  for (const [i, p] of ["a", "b", "\u2581", "ab", "\u2581a", "c", "d"].entries()) pieces.push([p, -i, "n"]);
  return JSON.stringify({ eos_id: 1, pieces }); // 11 pieces = tinyConfig.d_vocab
}

async function send(request: Request): Promise<Response> {
  const reply = new Promise<Response>((resolve) => waiting.push(resolve));
  onmessage({ data: request });
  return reply;
}

beforeAll(async () => {
  const weights = randomWeights(tinyConfig, 2);
  const s = shapes(tinyConfig);
  const config = { ...tinyConfig, n_layers: 1 };
  files.set(
    "data/model/model.safetensors",
    writeSafetensors(
      Object.fromEntries([...weights].map(([name, data]) => [name, { dtype: "F32" as const, shape: s[name], data }])),
      { config: JSON.stringify(config), tokenizer: tinyTokenizerJson(), format: "dictlab.toy_transformer" },
    ),
  );
  const { weights: saeWeights } = tinySae(tinyConfig.d_mlp, 20);
  const saeShapes: Record<string, number[]> = { W_enc: [16, 20], b_enc: [20], W_dec: [20, 16], b_dec: [16], threshold: [20] };
  files.set(
    "data/model/sae.safetensors",
    writeSafetensors(
      Object.fromEntries([...saeWeights].map(([name, data]) => [name, { dtype: "F16" as const, shape: saeShapes[name], data }])),
      { cfg: JSON.stringify({ d_in: 16, d_sae: 20, activation_fn_str: "relu", activation_scale: 2.5, apply_b_dec_to_input: true }) },
    ),
  );
  const whole = files.get("data/model/model.safetensors")!;
  files.set("data/model/cut.safetensors", whole.slice(0, whole.byteLength - 100));
  vi.stubGlobal("fetch", async (url: string) => {
    const body = files.get(url);
    return body
      ? new globalThis.Response(body.slice(0), { status: 200 })
      : new globalThis.Response("not found", { status: 404, statusText: "Not Found" });
  });
  const fakeSelf = {
    onmessage: null as unknown,
    postMessage(message: Response) {
      posted.push(message);
      const w = waiting.shift();
      w?.(message);
    },
  };
  vi.stubGlobal("self", fakeSelf);
  await import("../../src/model/worker");
  onmessage = fakeSelf.onmessage as typeof onmessage;
});

afterAll(() => {
  vi.unstubAllGlobals();
  waiting = [];
});

describe("worker", () => {
  test("requests before a load are refused", async () => {
    expect(await send({ id: 1, type: "tokenize", text: "ab" })).toEqual({
      id: 1,
      type: "error",
      message: "no model is loaded (send a load request first)",
    });
  });

  test("load, tokenize, generate, features", async () => {
    expect(await send({ id: 2, type: "load", modelUrl: "data/model/model.safetensors", saeUrl: "data/model/sae.safetensors" })).toEqual({
      id: 2,
      type: "loaded",
      vocabSize: 11,
      contextLength: 6,
      dSae: 20,
    });
    const tokens = await send({ id: 3, type: "tokenize", text: "ab abé" });
    expect(tokens).toEqual({ id: 3, type: "tokens", ids: [7, 6, 7, 2, 3], tokens: ["ab", " ", "ab", "é", ""], truncated: false });
    const long = await send({ id: 4, type: "tokenize", text: "c d c d c d c" });
    expect(long.type === "tokens" && long.truncated && long.ids.length === 6).toBe(true);

    const request: Request = { id: 5, type: "generate", prompt: "ab", maxNewTokens: 12, temperature: 1, topK: 0, seed: 9, pins: [] };
    const a = await send(request);
    const b = await send({ ...request, id: 6 });
    expect(a.type).toBe("generated");
    if (a.type !== "generated" || b.type !== "generated") return;
    expect(b.text).toBe(a.text);
    expect(a.tokens.length).toBeLessThanOrEqual(12);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(a.tokensPerSecond).toBeGreaterThan(0);
    const pinned = await send({ ...request, id: 7, pins: [{ feature: 3, value: 40 }] });
    expect(pinned.type).toBe("generated");

    const features = await send({ id: 8, type: "features", text: "ab abé", topN: 3 });
    expect(features.type).toBe("features");
    if (features.type !== "features") return;
    expect(features.truncated).toBe(false);
    expect(features.tokens.map((t) => t.token)).toEqual(["ab", " ", "ab", "é", ""]);
    for (const t of features.tokens) {
      expect(t.features.length).toBeLessThanOrEqual(3);
      for (const [f, v] of t.features) expect(f >= 0 && f < 20 && v > 0).toBe(true);
    }
  });

  test("errors name the file: missing, truncated; bad pins", async () => {
    const missing = await send({ id: 9, type: "load", modelUrl: "data/model/none.safetensors", saeUrl: null });
    expect(missing).toMatchObject({ id: 9, type: "error" });
    expect(missing.type === "error" && missing.message).toMatch(/none\.safetensors: HTTP 404/);
    const cut = await send({ id: 10, type: "load", modelUrl: "data/model/cut.safetensors", saeUrl: null });
    expect(cut.type === "error" && cut.message).toMatch(/^cut\.safetensors: truncated: tensor '.*' needs bytes/);
    await send({ id: 11, type: "load", modelUrl: "data/model/model.safetensors", saeUrl: null });
    const noSae = await send({ id: 12, type: "generate", prompt: "a", maxNewTokens: 2, temperature: 0, topK: 0, seed: 0, pins: [{ feature: 1, value: 1 }] });
    expect(noSae).toEqual({ id: 12, type: "error", message: "features cannot be pinned: no SAE is loaded" });
    expect(await send({ id: 13, type: "features", text: "a", topN: 3 })).toEqual({ id: 13, type: "error", message: "no SAE is loaded" });
  });
});
