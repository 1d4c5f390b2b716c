// data/run.json: what was exported.

import { DataError, fetchJson } from "./fetch";
import type { RunInfo } from "./types";

const FILE = "run.json";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

export function parseRun(raw: unknown): RunInfo {
  if (!isObject(raw)) throw new DataError("data/run.json", "invalid", "not a JSON object");
  const n = raw.n_features;
  const shard = raw.shard_size;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new DataError("data/run.json", "invalid", "n_features is not a count");
  }
  if (typeof shard !== "number" || !Number.isInteger(shard) || shard <= 0) {
    throw new DataError("data/run.json", "invalid", "shard_size is not a positive integer");
  }
  return {
    format: typeof raw.format === "string" ? raw.format : "?",
    experiment: typeof raw.experiment === "string" ? raw.experiment : "(unnamed)",
    model_stage: optionalString(raw.model_stage),
    dictionary_stage: optionalString(raw.dictionary_stage),
    analysis_stage: optionalString(raw.analysis_stage),
    n_features: n,
    shard_size: shard,
    tokens_analysed: typeof raw.tokens_analysed === "number" ? raw.tokens_analysed : null,
    histogram_bins: typeof raw.histogram_bins === "number" ? raw.histogram_bins : 40,
    model: optionalString(raw.model),
    sae: optionalString(raw.sae),
    check: optionalString(raw.check),
  };
}

export async function loadRun(): Promise<RunInfo> {
  return parseRun(await fetchJson(FILE));
}

/** What the page assumes when run.json is missing but index.bin says how many features there are. */
export function fallbackRun(nFeatures: number): RunInfo {
  return {
    format: "?",
    experiment: "(run.json missing)",
    model_stage: null,
    dictionary_stage: null,
    analysis_stage: null,
    n_features: nFeatures,
    shard_size: 64,
    tokens_analysed: null,
    histogram_bins: 40,
    model: null,
    sae: null,
    check: null,
  };
}
