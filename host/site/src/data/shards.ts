// data/features/NNNNN.json: shard s holds features [s*shard_size, (s+1)*shard_size).
// Shards are fetched when something needs one of their features and kept in a small LRU cache.

import { DataError, dataPath, fetchJson } from "./fetch";
import { readRelated } from "./related";
import { readScores } from "./labelsFile";
import type { Feature, Label } from "./types";

const KEEP_SHARDS = 48;

export function shardFile(shard: number): string {
  return `features/${String(shard).padStart(5, "0")}.json`;
}

type ShardState =
  | { kind: "loading"; promise: Promise<Map<number, Feature>> }
  | { kind: "loaded"; features: Map<number, Feature> }
  | { kind: "failed"; error: DataError };

function validShard(raw: unknown, file: string): Map<number, Feature> {
  if (!Array.isArray(raw)) throw new DataError(file, "invalid", "not a JSON array");
  const out = new Map<number, Feature>();
  for (const f of raw) {
    if (typeof f !== "object" || f === null || typeof (f as Feature).id !== "number") {
      throw new DataError(file, "invalid", "an element has no numeric id");
    }
    out.set((f as Feature).id, normalize(f as Feature));
  }
  return out;
}

/** Fills in what an older or partial export may leave out, so the page can rely on the shape. */
function normalize(f: Feature): Feature {
  return {
    id: f.id,
    density: typeof f.density === "number" ? f.density : NaN,
    max_activation: typeof f.max_activation === "number" ? f.max_activation : NaN,
    mean_activation: typeof f.mean_activation === "number" ? f.mean_activation : null,
    histogram: f.histogram && Array.isArray(f.histogram.counts) ? f.histogram : null,
    top_examples: Array.isArray(f.top_examples) ? f.top_examples : [],
    intervals: Array.isArray(f.intervals) ? f.intervals : [],
    near_misses: Array.isArray(f.near_misses) ? f.near_misses : [],
    logits: f.logits && Array.isArray(f.logits.positive) ? f.logits : null,
    labels: Array.isArray(f.labels) ? f.labels.map(normalizeLabel) : [],
    related: readRelated(f.related),
  };
}

/** An older export gave a label one `score` of kind `score_kind`; now `scores` has them all. */
function normalizeLabel(label: Label): Label {
  return { ...label, scores: readScores(label as unknown as Record<string, unknown>) };
}

export class FeatureStore {
  private shards = new Map<number, ShardState>();
  private listeners: Array<(shard: number) => void> = [];

  constructor(
    readonly nFeatures: number,
    readonly shardSize: number,
    private onError: (error: DataError, shard: number) => void,
  ) {}

  shardOf(id: number): number {
    return Math.floor(id / this.shardSize);
  }

  /** Called whenever a shard finishes loading (or fails). */
  onShard(listener: (shard: number) => void): void {
    this.listeners.push(listener);
  }

  /** The feature if its shard is already here; undefined otherwise. */
  peek(id: number): Feature | undefined {
    const state = this.shards.get(this.shardOf(id));
    return state?.kind === "loaded" ? state.features.get(id) : undefined;
  }

  failure(id: number): DataError | undefined {
    const state = this.shards.get(this.shardOf(id));
    return state?.kind === "failed" ? state.error : undefined;
  }

  isRequested(shard: number): boolean {
    return this.shards.has(shard);
  }

  async feature(id: number): Promise<Feature> {
    const features = await this.shard(this.shardOf(id));
    const f = features.get(id);
    if (!f) {
      throw new DataError(dataPath(shardFile(this.shardOf(id))), "invalid", `feature ${id} is not in it`);
    }
    return f;
  }

  shard(shard: number): Promise<Map<number, Feature>> {
    const state = this.shards.get(shard);
    if (state) {
      // Refresh its place in the LRU order.
      this.shards.delete(shard);
      this.shards.set(shard, state);
      if (state.kind === "loaded") return Promise.resolve(state.features);
      if (state.kind === "failed") return Promise.reject(state.error);
      return state.promise;
    }
    const file = shardFile(shard);
    const promise = fetchJson(file)
      .then((raw) => validShard(raw, dataPath(file)))
      .then(
        (features) => {
          this.shards.set(shard, { kind: "loaded", features });
          this.evict();
          this.notify(shard);
          return features;
        },
        (e: unknown) => {
          const error = e instanceof DataError ? e : new DataError(dataPath(file), "invalid", String(e));
          this.shards.set(shard, { kind: "failed", error });
          this.onError(error, shard);
          this.notify(shard);
          throw error;
        },
      );
    this.shards.set(shard, { kind: "loading", promise });
    return promise;
  }

  private evict(): void {
    for (const [key, state] of this.shards) {
      if (this.shards.size <= KEEP_SHARDS) break;
      if (state.kind === "loaded") this.shards.delete(key);
    }
  }

  private notify(shard: number): void {
    for (const listener of this.listeners) listener(shard);
  }
}
