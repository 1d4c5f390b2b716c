// How the page tells `dictlab serve`'s model API from a static server (DATA.md, "Model API"),
// and what it sends: fetch is replaced by canned answers of the kinds each server gives.

import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { probeServerModel, serverGenerate } from "../../src/data/serverModel";

const INFO = {
  model: "model",
  plugin: "gguf_model",
  dictionary: "sae",
  hook: "blocks.3.hook_resid_post",
  vocab_size: 49152,
  context_length: 128,
  d_sae: 4608,
  generates: true,
  limits: { max_new_tokens: 128, max_top_n: 32, max_pins: 8, max_body_bytes: 8192 },
};

function answer(status: number, body: string, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body, { status, headers }));
}

beforeEach(() => {
  vi.stubGlobal("document", { baseURI: "http://127.0.0.1:8080/features/" });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("probeServerModel", () => {
  test("dictlab serve with a model: served, with what it runs", async () => {
    const fetch = answer(200, JSON.stringify(INFO));
    vi.stubGlobal("fetch", fetch);
    expect(await probeServerModel()).toEqual({ kind: "served", info: INFO });
    expect((fetch.mock.calls[0] as unknown[])[0]).toBe("http://127.0.0.1:8080/features/api/model"); // relative to the site
  });

  test("dictlab serve whose model did not load: failed, with the reason", async () => {
    vi.stubGlobal("fetch", answer(503, JSON.stringify({ error: "plugin gguf_model is not loaded" })));
    expect(await probeServerModel()).toEqual({ kind: "failed", message: "plugin gguf_model is not loaded" });
  });

  test.each([
    ["a static server's 404 page", 404, "<html>not found</html>"],
    ["a server answering every path with index.html", 200, "<!doctype html><title>site</title>"],
    ["JSON that is not a model description", 200, JSON.stringify({ labelling: true })],
  ])("%s: absent", async (_name, status, body) => {
    vi.stubGlobal("fetch", answer(status, body));
    expect(await probeServerModel()).toEqual({ kind: "absent" });
  });

  test("no server at all: absent", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    expect(await probeServerModel()).toEqual({ kind: "absent" });
  });
});

describe("serverGenerate", () => {
  test("sends the API's field names and reads its answer", async () => {
    const fetch = answer(200, JSON.stringify({ text: " world", tokens: [" world"], tokens_per_second: 9 }));
    vi.stubGlobal("fetch", fetch);
    const pins = [{ feature: 17, value: 5 }];
    const r = await serverGenerate({ prompt: "Hello", maxNewTokens: 4, temperature: 0, topK: 0, seed: 3, pins });
    expect(r).toEqual({ text: " world", tokens: [" world"], tokensPerSecond: 9 });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("http://127.0.0.1:8080/features/api/generate");
    expect(JSON.parse(init.body as string)).toEqual({ prompt: "Hello", max_new_tokens: 4, temperature: 0, top_k: 0, seed: 3, pins });
  });

  test("a busy server's 503 says why and when to retry", async () => {
    vi.stubGlobal("fetch", answer(503, JSON.stringify({ error: "the model is busy" }), { "Retry-After": "5" }));
    await expect(serverGenerate({ prompt: "", maxNewTokens: 1, temperature: 1, topK: 0, seed: 0, pins: [] })).rejects.toThrow(
      "POST api/generate: HTTP 503: the model is busy (retry in 5 s)",
    );
  });
});
