// The page's side of the model Web Worker (protocol in ../model/api.ts). The worker is started
// on first use; while the export has no model, or loading fails, `state` says why.

import type { Pin, Request, Response, TokenFeatures } from "../model/api";
import { DataError, dataPath, dataUrl } from "./fetch";
import type { RunInfo } from "./types";

export type ModelState =
  | { kind: "none"; message: string } // nothing to load
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "ready"; vocabSize: number; contextLength: number; dSae: number | null }
  | { kind: "error"; message: string };

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

  constructor(private run: RunInfo) {
    this.current =
      run.model === null
        ? { kind: "none", message: "This export has no model (run.json has model: null), so the model pages are off." }
        : { kind: "idle" };
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
    const r = await this.ask({ type: "features", text, topN });
    if (r.type !== "features") throw new Error(`The model worker answered ${r.type} to features`);
    return { tokens: r.tokens, truncated: r.truncated };
  }

  async tokenize(text: string): Promise<{ ids: number[]; tokens: string[]; truncated: boolean }> {
    await this.load();
    const r = await this.ask({ type: "tokenize", text });
    if (r.type !== "tokens") throw new Error(`The model worker answered ${r.type} to tokenize`);
    return { ids: r.ids, tokens: r.tokens, truncated: r.truncated };
  }

  async generate(params: GenerateParams): Promise<{ text: string; tokens: string[]; tokensPerSecond: number }> {
    await this.load();
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
