// A feature's "related" field (DATA.md): its twin in another model's dictionary, its parent in the
// next smaller dictionary and its children in the next larger one. Read defensively (a malformed
// entry is dropped, a link that would leave the site's server is dropped), then grouped the way
// the feature page shows them.

import type { Related, RelatedFeature } from "./types";

export type RelatedKind = "twin" | "parent" | "children" | "matched";

/** One line of the Related section: the features of one dictionary related to this one in one way. */
export interface RelatedGroup {
  kind: RelatedKind; // matched: features of another model's dictionary whose best match is this one
  dictionary: string;
  model: string | null;
  features: RelatedFeature[];
  more: number; // how many more the export left out (the weakest)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const numberOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const stringOrNull = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** A relative link that stays on this server (e.g. "../features_b/#/feature/3"), or null. */
export function safeHref(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return null;
  try {
    const base = "http://site.invalid/run/features/";
    return new URL(v, base).origin === new URL(base).origin ? v : null;
  } catch {
    return null;
  }
}

function readEntry(v: unknown): RelatedFeature | null {
  if (!isObject(v)) return null;
  const dictionary = stringOrNull(v.dictionary);
  const feature = v.feature;
  if (dictionary === null || typeof feature !== "number" || !Number.isSafeInteger(feature) || feature < 0) return null;
  return {
    dictionary,
    model: stringOrNull(v.model),
    feature,
    correlation: numberOrNull(v.correlation),
    cosine: numberOrNull(v.cosine),
    direction: v.direction === "best_match" || v.direction === "best_match_of" ? v.direction : null,
    href: safeHref(v.href),
    source: stringOrNull(v.source),
  };
}

function readEntries(v: unknown): RelatedFeature[] {
  if (!Array.isArray(v)) return [];
  return v.map(readEntry).filter((e): e is RelatedFeature => e !== null);
}

function readCounts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(v)) return out;
  for (const [dictionary, n] of Object.entries(v)) if (typeof n === "number" && Number.isSafeInteger(n) && n > 0) out[dictionary] = n;
  return out;
}

/** The related field as the page can rely on it; null when absent or when it names nothing. */
export function readRelated(raw: unknown): Related | null {
  if (!isObject(raw)) return null;
  const related: Related = {
    twins: readEntries(raw.twins),
    parents: readEntries(raw.parents),
    children: readEntries(raw.children),
    more_twins: readCounts(raw.more_twins),
    more_children: readCounts(raw.more_children),
  };
  const empty = related.twins.length + related.parents.length + related.children.length === 0;
  return empty ? null : related;
}

function group(kind: RelatedKind, entries: RelatedFeature[], more: Record<string, number> = {}): RelatedGroup[] {
  const groups = new Map<string, RelatedGroup>();
  for (const e of entries) {
    let g = groups.get(e.dictionary);
    if (!g) groups.set(e.dictionary, (g = { kind, dictionary: e.dictionary, model: e.model, features: [], more: more[e.dictionary] ?? 0 }));
    g.features.push(e);
  }
  return [...groups.values()];
}

/** Twins first, then the parent, the children, and the features of another model matched to this one. */
export function relatedGroups(related: Related): RelatedGroup[] {
  const matched = related.twins.filter((t) => t.direction === "best_match_of");
  return [
    ...group("twin", related.twins.filter((t) => t.direction !== "best_match_of")),
    ...group("parent", related.parents),
    ...group("children", related.children, related.more_children),
    ...group("matched", matched, related.more_twins),
  ];
}
