// The page's side of the model: the Web Worker running the export's in-page model (protocol in
// ../model/api.ts) when the export has one (the toy), else the model API of `dictlab serve`
// (./serverModel.ts) when the server offers one (models too big for the page). `probe()` picks;
// `source` says which. The worker is started on first use; while neither is there, or loading
// fails, `state` says why.

import type { Pin, Request, Response, TokenFeatures } from "../model/api";
import { DataError, dataPath, dataUrl } from "./fetch";
import { probeServerModel, type ServerModelInfo, serverFeatures, serverGenerate } from "./serverModel";
import type { RunInfo } from "./types";

export type ModelState =
  | { kind: "none"; message: string } // nothing to load
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "ready"; vocabSize: number; contextLength: number; dSae: number | null; source: ModelSource }
  | { kind: "error"; message: string };

/** Where the model runs: in this page (a worker), or in `dictlab serve` (its model API). */
export type ModelSource = "page" | "server";

export const NEEDS_SERVE =
  "This export has no model in the page (a model too big for it is run by the server): what fires here, generation and pinning need dictlab serve RUN_DIR.";

type Loaded = Extract<ModelState, { kind: "ready" }>;
type Body<T> = T extends unknown ? Omit<T, "id"> : never;

export interface GenerateParams {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  pins: Pin[];
}

export class ModelClient {
  private current: ModelState;
  private worker: Worker | null = null;
  private loading: Promise<Loaded> | null = null;
  private pending = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private listeners: Array<(state: ModelState) => void> = [];
  private saeProblem: string | null = null;
  private server: ServerModelInfo | null = null;

  constructor(private run: RunInfo) {
    this.current = run.model === null ? { kind: "none", message: NEEDS_SERVE } : { kind: "idle" };
  }

  /** Where the model runs, or null when neither the export nor the server has one. */
  get source(): ModelSource | null {
    if (this.run.model !== null) return "page";
    return this.server ? "server" : null;
  }

  /** The served model (stage, plugin, hook, limits) when the source is the server. */
  get served(): ServerModelInfo | null {
    return this.server;
  }

  /**
   * Without an in-page model, asks `dictlab serve` for its model API (GET api/model). The in-page
   * model comes first: it answers without a round trip, and a static copy has no server.
   */
  async probe(): Promise<void> {
    if (this.run.model !== null) return;
    const probe = await probeServerModel();
    if (probe.kind === "served") {
      this.server = probe.info;
      this.set({ kind: "idle" });
    } else if (probe.kind === "failed") {
      this.set({ kind: "error", message: `dictlab serve could not load the model: ${probe.message}` });
    }
  }

  get state(): ModelState {
    return this.current;
  }

  /** Why features and pins are unavailable although the model loaded (no or broken SAE); null if they work. */
  get featuresProblem(): string | null {
    if (this.current.kind !== "ready") return null;
    if (this.current.dSae === null) {
      return this.saeProblem ?? "This export has no dictionary (run.json has sae: null), so features and pins are off.";
    }
    return null;
  }

  onState(listener: (state: ModelState) => void): void {
    this.listeners.push(listener);
  }

  private set(state: ModelState): void {
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }

  load(): Promise<Loaded> {
    if (this.loading) return this.loading;
    this.loading = this.start().then(
      (loaded) => {
        this.set(loaded);
        return loaded;
      },
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        if (this.current.kind !== "none") this.set({ kind: "error", message });
        this.stop();
        throw new Error(message);
      },
    );
    return this.loading;
  }

  private async start(): Promise<Loaded> {
    if (this.server) {
      // Loaded once when `dictlab serve` started: nothing to fetch.
      const s = this.server;
      return { kind: "ready", vocabSize: s.vocab_size, contextLength: s.context_length, dSae: s.d_sae, source: "server" };
    }
    if (this.run.model === null) throw new Error((this.current as { message: string }).message);
    this.set({ kind: "loading" });
    await present(this.run.model);
    let saeUrl: string | null = null;
    if (this.run.sae !== null) {
      try {
        await present(this.run.sae);
        saeUrl = dataUrl(this.run.sae);
      } catch (e) {
        this.saeProblem = `${(e as Error).message}: features and pins are off, generation still works.`;
      }
    }
    let worker: Worker;
    try {
      worker = new Worker(new URL("../model/worker.ts", import.meta.url), { type: "module" });
    } catch (e) {
      throw new Error(`The model worker could not start: ${(e as Error).message}`);
    }
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<Response>) => this.receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.fail(`The model worker failed: ${event.message || "it could not be loaded"}`);
    };
    worker.onmessageerror = () => this.fail("The model worker sent a message the page could not read.");
    const files = [this.run.model, saeUrl ? this.run.sae : null].filter((f) => f !== null).map((f) => dataPath(f!));
    let response: Response;
    try {
      response = await this.ask({ type: "load", modelUrl: dataUrl(this.run.model), saeUrl });
    } catch (e) {
      throw new Error(`Could not load the model (${files.join(", ")}): ${(e as Error).message}`);
    }
    if (response.type !== "loaded") throw new Error(`The model worker answered ${response.type} to load`);
    if (response.dSae === null && saeUrl !== null) {
      this.saeProblem = `The dictionary (${dataPath(this.run.sae!)}) did not load: features and pins are off.`;
    }
    return {
      kind: "ready",
      vocabSize: response.vocabSize,
      contextLength: response.contextLength,
      dSae: response.dSae,
      source: "page",
    };
  }

  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private fail(message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(message));
    if (this.current.kind === "ready") {
      this.set({ kind: "error", message });
      this.stop();
    }
  }

  private receive(response: Response): void {
    const p = this.pending.get(response.id);
    if (!p) return;
    this.pending.delete(response.id);
    if (response.type === "error") p.reject(new Error(response.message));
    else p.resolve(response);
  }

  private ask(body: Body<Request>): Promise<Response> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error("The model is not running."));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id } as Request);
    });
  }

  async features(text: string, topN: number): Promise<{ tokens: TokenFeatures[]; truncated: boolean }> {
    await this.load();
    if (this.server) return serverFeatures(text, Math.min(topN, this.server.limits.max_top_n));
    const r = await this.ask({ type: "features", text, topN });
    if (r.type !== "features") throw new Error(`The model worker answered ${r.type} to features`);
    return { tokens: r.tokens, truncated: r.truncated };
  }

  async tokenize(text: string): Promise<{ ids: number[]; tokens: string[]; truncated: boolean }> {
    await this.load();
    if (this.server) throw new Error("dictlab serve's model API does not tokenize alone; ask for features instead");
    const r = await this.ask({ type: "tokenize", text });
    if (r.type !== "tokens") throw new Error(`The model worker answered ${r.type} to tokenize`);
    return { ids: r.ids, tokens: r.tokens, truncated: r.truncated };
  }

  async generate(params: GenerateParams): Promise<{ text: string; tokens: string[]; tokensPerSecond: number }> {
    await this.load();
    if (this.server) {
      // The server's caps, rather than a 400 for asking more.
      return serverGenerate({ ...params, maxNewTokens: Math.min(params.maxNewTokens, this.server.limits.max_new_tokens) });
    }
    const r = await this.ask({ type: "generate", ...params });
    if (r.type !== "generated") throw new Error(`The model worker answered ${r.type} to generate`);
    return { text: r.text, tokens: r.tokens, tokensPerSecond: r.tokensPerSecond };
  }
}

/** Checks that a file under data/ is there before the worker spends time on it. */
async function present(path: string): Promise<void> {
  let response: globalThis.Response;
  try {
    response = await fetch(dataUrl(path), { method: "HEAD" });
  } catch {
    return; // Let the worker's own fetch report it.
  }
  await response.arrayBuffer().catch(() => null); // finish the request (nothing to read for HEAD)
  if (response.status === 404 || response.status === 410) {
    throw new DataError(dataPath(path), "missing", `HTTP ${response.status}`);
  }
}
