// The arithmetic of the Labels page, pure (tests/data/labelStats.test.ts): who labelled what
// (columns), how much the labels of a feature disagree, sorting and filtering the rows, and per
// labeler and scorer the distribution of scores and the agreement between labelers.

import type { LabelEntry, LabelsData } from "./labelsFile";

/** One labeler: a labeler stage (llm, baseline, ...), or "human", every person together. */
export interface LabelColumn {
  key: string;
  labeler: string;
  stage: string | null; // null for people's labels and for labels without a stage
}

export interface LabelRow {
  feature: number;
  labels: Map<string, LabelEntry[]>; // column key -> its labels of this feature
  disagreement: number | null; // null when there are fewer than two labels to compare
}

export const HUMAN = "human";

export function columnKey(label: LabelEntry): string {
  return label.labeler === HUMAN ? HUMAN : (label.labeler_stage ?? label.labeler);
}

/** The labelers in the data: people first, then LLM stages, then the others, by name. */
export function columnsOf(data: LabelsData): LabelColumn[] {
  const columns = new Map<string, LabelColumn>();
  for (const f of data.features)
    for (const l of f.labels) {
      const key = columnKey(l);
      if (!columns.has(key)) columns.set(key, { key, labeler: l.labeler, stage: key === HUMAN ? null : l.labeler_stage });
    }
  const rank = (c: LabelColumn) => (c.labeler === HUMAN ? 0 : c.labeler === "llm" ? 1 : 2);
  return [...columns.values()].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

/** The lowercased words of a text, as label_scores counts them: runs of ASCII letters, digits and non-ASCII. */
export function wordSet(text: string): Set<string> {
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return new Set(lower.match(/[a-z0-9\u0080-\uffff]+/g) ?? []);
}

/** |A ∩ B| / |A ∪ B| of the two texts' word sets; 1 when both have no words. */
export function jaccard(a: string, b: string): number {
  const wa = wordSet(a), wb = wordSet(b);
  if (wa.size === 0 && wb.size === 0) return 1;
  let common = 0;
  for (const w of wa) if (wb.has(w)) common++;
  return common / (wa.size + wb.size - common);
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

/** Mean Jaccard similarity over the pairs (one of `a`, one of `b`). */
function meanSimilarity(a: LabelEntry[], b: LabelEntry[]): number | null {
  return mean(a.flatMap((x) => b.map((y) => jaccard(x.text, y.text))));
}

/**
 * 1 − Jaccard similarity of the labels' word sets: the mean over pairs of a person's label and
 * an LLM's when the feature has both, else over every pair of its labels; null with fewer than two.
 */
export function disagreement(labels: LabelEntry[]): number | null {
  const human = labels.filter((l) => l.labeler === HUMAN);
  const llm = labels.filter((l) => l.labeler === "llm");
  let similarity: number | null;
  if (human.length && llm.length) similarity = meanSimilarity(human, llm);
  else similarity = mean(labels.flatMap((x, i) => labels.slice(i + 1).map((y) => jaccard(x.text, y.text))));
  return similarity === null ? null : 1 - similarity;
}

export function rowsOf(data: LabelsData): LabelRow[] {
  return data.features.map((f) => {
    const labels = new Map<string, LabelEntry[]>();
    for (const l of f.labels) labels.set(columnKey(l), [...(labels.get(columnKey(l)) ?? []), l]);
    return { feature: f.feature, labels, disagreement: disagreement(f.labels) };
  });
}

/** A column's score of a feature: the mean over its labels that have one (several people), or null. */
export function scoreOf(row: LabelRow, column: string, scorer: string): number | null {
  return mean((row.labels.get(column) ?? []).flatMap((l) => (scorer in l.scores ? [l.scores[scorer]] : [])));
}

/** What a table can be sorted by. */
export type SortKey = { kind: "feature" } | { kind: "disagreement" } | { kind: "score"; column: string; scorer: string };

function sortValue(row: LabelRow, key: SortKey): number | null {
  if (key.kind === "feature") return row.feature;
  if (key.kind === "disagreement") return row.disagreement;
  return scoreOf(row, key.column, key.scorer);
}

/** Sorted copy; rows without a value go last either way, ties by feature id. */
export function sortRows(rows: LabelRow[], key: SortKey, descending: boolean): LabelRow[] {
  const sign = descending ? -1 : 1;
  return rows
    .map((row) => ({ row, value: sortValue(row, key) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? a.row.feature - b.row.feature : a.value === null ? 1 : -1;
      return sign * (a.value - b.value) || a.row.feature - b.row.feature;
    })
    .map((x) => x.row);
}

/** Rows whose feature id is `query` or one of whose labels (text or author) contains it, any case. */
export function filterRows(rows: LabelRow[], query: string): LabelRow[] {
  const q = query.trim().toLowerCase().replace(/^#/, "");
  if (q === "") return rows;
  return rows.filter(
    (row) =>
      String(row.feature) === q ||
      [...row.labels.values()].flat().some((l) => l.text.toLowerCase().includes(q) || (l.author ?? "").toLowerCase().includes(q)),
  );
}

export interface Distribution {
  count: number;
  mean: number | null;
  stderr: number | null; // sample standard deviation / √n; null under two values
  low: number; // the histogram's range: [0, 1], or [−1, 1] when a score is negative (simulation)
  high: number;
  bins: number[];
}

export function distribution(values: number[], nBins = 10): Distribution {
  const low = values.some((v) => v < 0) ? Math.min(-1, ...values) : 0;
  const high = Math.max(1, ...values);
  const bins = new Array<number>(nBins).fill(0);
  for (const v of values) bins[Math.min(nBins - 1, Math.floor(((v - low) / (high - low)) * nBins))]++;
  const m = mean(values);
  let stderr: number | null = null;
  if (m !== null && values.length > 1) {
    const variance = values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
    stderr = Math.sqrt(variance / values.length);
  }
  return { count: values.length, mean: m, stderr, low, high, bins };
}

/** Per column and scorer, the distribution of its labels' scores (every label, people's each). */
export function scoreDistributions(data: LabelsData, columns: LabelColumn[]): Map<string, Map<string, Distribution>> {
  const values = new Map(columns.map((c) => [c.key, new Map(data.scorers.map((s) => [s, [] as number[]]))]));
  for (const f of data.features)
    for (const l of f.labels)
      for (const [scorer, v] of Object.entries(l.scores)) values.get(columnKey(l))?.get(scorer)?.push(v);
  return new Map([...values].map(([key, byScorer]) => [key, new Map([...byScorer].map(([s, v]) => [s, distribution(v)]))]));
}

export interface Agreement {
  a: string;
  b: string;
  features: number; // labelled by both
  similarity: number | null; // mean over those features of the mean Jaccard similarity of their labels
}

/** Every pair of columns (in column order, so people against each other labeler first). */
export function agreements(rows: LabelRow[], columns: LabelColumn[]): Agreement[] {
  const out: Agreement[] = [];
  columns.forEach((a, i) =>
    columns.slice(i + 1).forEach((b) => {
      const per = rows.flatMap((r) => {
        const la = r.labels.get(a.key), lb = r.labels.get(b.key);
        return la && lb ? [meanSimilarity(la, lb)!] : [];
      });
      out.push({ a: a.key, b: b.key, features: per.length, similarity: mean(per) });
    }),
  );
  return out;
}
