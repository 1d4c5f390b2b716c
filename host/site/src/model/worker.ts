// The Web Worker running the model for the page (protocol: api.ts). It only
// wires messages: requests are handled one at a time, in the order they came,
// by runtime.ts. Start it with
//   new Worker(new URL("./model/worker.ts", import.meta.url), { type: "module" })

import type { Request, Response } from "./api";
import { LoadedModel } from "./runtime";

let loaded: LoadedModel | null = null;
let queue: Promise<void> = Promise.resolve();

function fileName(url: string): string {
  const clean = url.split(/[?#]/)[0];
  return clean.substring(clean.lastIndexOf("/") + 1) || url;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  let response: globalThis.Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${fileName(url)}: cannot fetch ${url} (${(e as Error).message})`);
  }
  if (!response.ok) throw new Error(`${fileName(url)}: HTTP ${response.status} ${response.statusText} for ${url}`);
  const bytes = await response.arrayBuffer();
  const expected = Number(response.headers.get("Content-Length"));
  const encoded = response.headers.get("Content-Encoding");
  if (expected > 0 && !encoded && bytes.byteLength < expected)
    throw new Error(`${fileName(url)}: truncated download: ${bytes.byteLength} of ${expected} bytes`);
  return bytes;
}

function requireModel(): LoadedModel {
  if (!loaded) throw new Error("no model is loaded (send a load request first)");
  return loaded;
}

async function handle(request: Request): Promise<Response> {
  switch (request.type) {
    case "load": {
      loaded = null;
      const [modelBytes, saeBytes] = await Promise.all([
        fetchBytes(request.modelUrl),
        request.saeUrl ? fetchBytes(request.saeUrl) : Promise.resolve(null),
      ]);
      loaded = LoadedModel.fromBuffers(modelBytes, saeBytes, {
        model: fileName(request.modelUrl),
        sae: request.saeUrl ? fileName(request.saeUrl) : "sae.safetensors",
      });
      return { id: request.id, type: "loaded", vocabSize: loaded.vocabSize, contextLength: loaded.contextLength, dSae: loaded.dSae };
    }
    case "tokenize": {
      const r = requireModel().tokenize(request.text);
      return { id: request.id, type: "tokens", ids: r.ids, tokens: r.tokens, truncated: r.truncated };
    }
    case "generate": {
      const r = requireModel().generate(request);
      return {
        id: request.id,
        type: "generated",
        text: r.text,
        tokens: r.tokens,
        tokensPerSecond: r.tokensPerSecond,
        promptTruncated: r.promptTruncated,
      };
    }
    case "features": {
      const r = requireModel().features(request.text, request.topN);
      return { id: request.id, type: "features", tokens: r.tokens, truncated: r.truncated };
    }
    default: {
      const unknown = request as { id?: number; type?: unknown };
      return { id: unknown.id ?? -1, type: "error", message: `unknown request type ${JSON.stringify(unknown.type)}` };
    }
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  queue = queue.then(async () => {
    let response: Response;
    try {
      response = await handle(request);
    } catch (e) {
      response = { id: request?.id ?? -1, type: "error", message: e instanceof Error ? e.message : String(e) };
    }
    (self as unknown as { postMessage(message: Response): void }).postMessage(response);
  });
};
