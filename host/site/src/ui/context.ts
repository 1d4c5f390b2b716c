// What every page can reach: the run, the index, the shards, the search index and the model.

import type { ModelClient } from "../data/modelClient";
import type { SearchIndex } from "../data/search";
import type { FeatureStore } from "../data/shards";
import type { FeatureIndex, RunInfo } from "../data/types";

export interface Context {
  run: RunInfo;
  runProblem: string | null; // run.json missing or broken: what the page assumed instead
  index: FeatureIndex | null; // null when index.bin is missing or damaged
  store: FeatureStore;
  model: ModelClient;
  /** The search index, fetching data/search.json the first time. */
  search(): Promise<SearchIndex>;
  /** The search index if it has been loaded already. */
  searchIfLoaded(): SearchIndex | null;
  /** A feature's label if known without fetching: undefined = not known yet, null = no label. */
  labelOf(id: number): string | null | undefined;
  /** Its top activating tokens (joined by " ") once search.json is loaded; null otherwise. */
  tokensOf(id: number): string | null;
}
