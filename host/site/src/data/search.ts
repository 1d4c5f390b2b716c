// data/search.json: per feature its first label and its top activating tokens (joined by " ").
// Fetched on the first search; searches by label text or by token.

import { DataError, fetchJson } from "./fetch";
import type { SearchData } from "./types";

export type SearchMode = "label" | "token";

function parseSearch(raw: unknown, n: number): SearchData {
  const file = "data/search.json";
  if (typeof raw !== "object" || raw === null) throw new DataError(file, "invalid", "not a JSON object");
  const { labels, tokens } = raw as Record<string, unknown>;
  if (!Array.isArray(labels) || !Array.isArray(tokens)) {
    throw new DataError(file, "invalid", "labels or tokens is not an array");
  }
  if (labels.length !== n || tokens.length !== n) {
    throw new DataError(file, "invalid", `${labels.length} labels and ${tokens.length} token lists for ${n} features`);
  }
  return {
    labels: labels.map((l) => (typeof l === "string" ? l : null)),
    tokens: tokens.map((t) => (typeof t === "string" ? t : "")),
  };
}

function fold(s: string): string {
  return s.normalize("NFC").toLocaleLowerCase();
}

export class SearchIndex {
  private foldedLabels: string[];
  private foldedTokens: string[];
  private tokenSets: Array<Set<string> | null>;

  constructor(readonly data: SearchData) {
    this.foldedLabels = data.labels.map((l) => (l === null ? "" : fold(l)));
    this.foldedTokens = data.tokens.map(fold);
    this.tokenSets = new Array(data.tokens.length).fill(null);
  }

  static async load(n: number): Promise<SearchIndex> {
    return new SearchIndex(parseSearch(await fetchJson("search.json"), n));
  }

  label(id: number): string | null {
    return this.data.labels[id] ?? null;
  }

  /** The feature's top activating tokens joined by " " (null when it has none). */
  tokens(id: number): string | null {
    const t = this.data.tokens[id];
    return t && t.trim() !== "" ? t : null;
  }

  /** Matching feature ids, best first: whole matches, then prefix matches, then the rest; id order within. */
  find(query: string, mode: SearchMode): number[] {
    const q = fold(query.trim() === "" ? query : query.trim());
    if (q === "") return [];
    const exact: number[] = [];
    const prefix: number[] = [];
    const inside: number[] = [];
    if (mode === "label") {
      this.foldedLabels.forEach((label, id) => {
        if (label === q) exact.push(id);
        else if (label.startsWith(q)) prefix.push(id);
        else if (label.includes(q)) inside.push(id);
      });
    } else {
      // Tokens can hold spaces themselves; a token matches whole when it is one of the
      // space-separated pieces, or the query (spaces kept) is found in the joined string.
      const raw = fold(query);
      this.foldedTokens.forEach((tokens, id) => {
        if (!tokens.includes(q) && !tokens.includes(raw)) return;
        if (this.pieces(id).has(q) || this.pieces(id).has(raw)) exact.push(id);
        else inside.push(id);
      });
    }
    return exact.concat(prefix, inside);
  }

  private pieces(id: number): Set<string> {
    let set = this.tokenSets[id];
    if (!set) {
      set = new Set(this.foldedTokens[id].split(" ").filter((t) => t !== ""));
      this.tokenSets[id] = set;
    }
    return set;
  }
}
