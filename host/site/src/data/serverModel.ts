// The model API of `dictlab serve` (DATA.md, "Model API"): for models too big for the page,
// the server runs the model and its dictionary, and the page asks it what fires where and for
// samples (with pinned features). A static copy of the site has no API: api/model answers 404
// (or the server's HTML page), and `probeServerModel()` resolves to { kind: "absent" }.

import type { Pin, TokenFeatures } from "../model/api";
import { apiUrl } from "./labelsApi";

export interface ServerModelInfo {
  model: string; // the model's stage
  plugin: string;
  dictionary: string; // the dictionary's stage
  hook: string; // where the dictionary reads and pins write, TransformerLens names
  vocab_size: number;
  context_length: number;
  d_sae: number;
  generates: boolean;
  limits: { max_new_tokens: number; max_top_n: number; max_pins: number; max_body_bytes: number };
}

export type ServerProbe =
  | { kind: "served"; info: ServerModelInfo }
  | { kind: "failed"; message: string } // the server is there, its model did not load
  | { kind: "absent" };

export async function probeServerModel(): Promise<ServerProbe> {
  let response: Response;
  try {
    response = await fetch(apiUrl("model"), { cache: "no-store" });
  } catch {
    return { kind: "absent" };
  }
  const text = await response.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "absent" }; // a static server's 404 page, or index.html
  }
  const b = body as Partial<ServerModelInfo> & { error?: string };
  if (response.ok && typeof b.hook === "string" && typeof b.vocab_size === "number") {
    return { kind: "served", info: b as ServerModelInfo };
  }
  if (response.status === 503 && typeof b.error === "string") return { kind: "failed", message: b.error };
  return { kind: "absent" };
}

async function post(path: string, body: unknown): Promise<unknown> {
  const name = `POST api/${path}`;
  let response: Response;
  try {
    response = await fetch(apiUrl(path), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new Error(`${name}: the server could not be reached (${(e as Error).message}); is dictlab serve still running?`);
  }
  const text = await response.text();
  let json: { error?: string } | null = null;
  try {
    json = JSON.parse(text) as { error?: string };
  } catch {
    // said below
  }
  if (!response.ok) {
    const retry = response.headers.get("Retry-After");
    const why = json?.error ?? text.slice(0, 200);
    throw new Error(`${name}: HTTP ${response.status}: ${why}${retry ? ` (retry in ${retry} s)` : ""}`);
  }
  if (json === null) throw new Error(`${name}: the answer is not JSON`);
  return json;
}

export async function serverFeatures(text: string, topN: number): Promise<{ tokens: TokenFeatures[]; truncated: boolean }> {
  const r = (await post("activations", { text, top_n: topN })) as { tokens: TokenFeatures[]; truncated: boolean };
  return { tokens: r.tokens, truncated: r.truncated };
}

export interface ServerGenerateParams {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  pins: Pin[];
}

export async function serverGenerate(
  p: ServerGenerateParams,
): Promise<{ text: string; tokens: string[]; tokensPerSecond: number }> {
  const r = (await post("generate", {
    prompt: p.prompt,
    max_new_tokens: p.maxNewTokens,
    temperature: p.temperature,
    top_k: p.topK,
    seed: p.seed,
    pins: p.pins,
  })) as { text: string; tokens: string[]; tokens_per_second: number };
  return { text: r.text, tokens: r.tokens, tokensPerSecond: r.tokens_per_second };
}
