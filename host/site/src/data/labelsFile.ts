// data/labels.json (DATA.md, "labels.json"): every labelled feature's labels with their scores,
// one file for the Labels page; under `dictlab serve`, people's labels as the labelling API
// gives them now, in place of those the export saw.

import { DataError, fetchJson } from "./fetch";
import type { HumanLabel } from "./labelsApi";

export interface LabelEntry {
  labeler_stage: string | null; // the labeler stage it came from; null for people's labels
  labeler: string; // "human", "llm", "baseline", ...
  author: string | null;
  text: string;
  rubric: number | null;
  scores: Record<string, number>; // scorer -> score, only the scorers that scored it
}

export interface LabelsData {
  scorers: string[]; // every scorer that scored some label, sorted
  features: Array<{ feature: number; labels: LabelEntry[] }>; // by feature id
}

const FILE = "labels.json";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The numeric entries of a scores object (older exports: the one `score` of kind `score_kind`). */
export function readScores(raw: Record<string, unknown>): Record<string, number> {
  const scores: Record<string, number> = {};
  if (isObject(raw.scores)) {
    for (const [k, v] of Object.entries(raw.scores)) if (typeof v === "number" && Number.isFinite(v)) scores[k] = v;
  } else if (typeof raw.score === "number" && typeof raw.score_kind === "string") {
    scores[raw.score_kind] = raw.score;
  }
  return scores;
}

function readLabel(raw: unknown): LabelEntry | null {
  if (!isObject(raw) || typeof raw.text !== "string" || typeof raw.labeler !== "string") return null;
  return {
    labeler_stage: typeof raw.labeler_stage === "string" ? raw.labeler_stage : null,
    labeler: raw.labeler,
    author: typeof raw.author === "string" ? raw.author : null,
    text: raw.text,
    rubric: typeof raw.rubric === "number" && Number.isFinite(raw.rubric) ? raw.rubric : null,
    scores: readScores(raw),
  };
}

export function parseLabels(raw: unknown): LabelsData {
  const file = `data/${FILE}`;
  if (!isObject(raw) || !Array.isArray(raw.features)) throw new DataError(file, "invalid", 'no "features" list');
  const features: LabelsData["features"] = [];
  for (const f of raw.features) {
    if (!isObject(f) || !Number.isSafeInteger(f.feature) || !Array.isArray(f.labels)) {
      throw new DataError(file, "invalid", "an element has no feature id or no labels");
    }
    const labels = f.labels.map(readLabel).filter((l): l is LabelEntry => l !== null);
    if (labels.length) features.push({ feature: f.feature as number, labels });
  }
  features.sort((a, b) => a.feature - b.feature);
  return { scorers: scorersOf(features), features };
}

function scorersOf(features: LabelsData["features"]): string[] {
  return [...new Set(features.flatMap((f) => f.labels.flatMap((l) => Object.keys(l.scores))))].sort();
}

export async function loadLabels(): Promise<LabelsData> {
  return parseLabels(await fetchJson(FILE));
}

/**
 * The data with people's labels replaced by `live` (the labelling API's): a live label keeps
 * the scores of the exported one with the same author and text (a score is of a text), and
 * features only people labelled since the export join in.
 */
export function withLiveLabels(data: LabelsData, live: HumanLabel[]): LabelsData {
  const scored = new Map<string, Record<string, number>>();
  const key = (feature: number, author: string | null, text: string) => JSON.stringify([feature, author, text]);
  const byFeature = new Map<number, LabelEntry[]>();
  for (const f of data.features) {
    for (const l of f.labels) if (l.labeler === "human") scored.set(key(f.feature, l.author, l.text), l.scores);
    byFeature.set(f.feature, f.labels.filter((l) => l.labeler !== "human"));
  }
  for (const h of live) {
    const entry: LabelEntry = {
      labeler_stage: null,
      labeler: "human",
      author: h.author,
      text: h.text,
      rubric: h.rubric,
      scores: scored.get(key(h.feature, h.author, h.text)) ?? {},
    };
    byFeature.set(h.feature, [...(byFeature.get(h.feature) ?? []), entry]);
  }
  const features = [...byFeature]
    .filter(([, labels]) => labels.length > 0)
    .map(([feature, labels]) => ({ feature, labels }))
    .sort((a, b) => a.feature - b.feature);
  return { scorers: scorersOf(features), features };
}
