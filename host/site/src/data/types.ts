// The shapes of the exported data (see DATA.md, which is authoritative).

export interface RunInfo {
  format: string;
  experiment: string;
  model_stage: string | null;
  dictionary_stage: string | null;
  analysis_stage: string | null;
  n_features: number;
  shard_size: number;
  tokens_analysed: number | null;
  histogram_bins: number;
  model: string | null; // path relative to data/
  sae: string | null;
  check: string | null;
}

export interface Example {
  activation: number;
  focus: number;
  tokens: string[];
  activations: number[];
}

export interface Interval {
  low: number;
  high: number;
  examples: Example[];
}

export interface Label {
  text: string;
  labeler: string;
  labeler_stage: string | null; // the labeler stage it came from; null for people's labels
  author: string | null;
  scores: Record<string, number>; // scorer -> score (detection, simulation, embedding, ...)
  rubric: number | string | null;
}

/** A feature of another dictionary related to this one (DATA.md, "related"). */
export interface RelatedFeature {
  dictionary: string; // its dictionary's stage
  model: string | null; // the model stage that dictionary reads
  feature: number;
  correlation: number | null; // of the two features' activations on the same tokens
  cosine: number | null; // of their decoder directions (parents and children only)
  direction: "best_match" | "best_match_of" | null; // twins: which one was matched to which
  href: string | null; // its page in the sibling site of its analysis stage, if exported
  source: string | null; // the stage that found the relation
}

export interface Related {
  twins: RelatedFeature[];
  parents: RelatedFeature[];
  children: RelatedFeature[];
  more_twins: Record<string, number>; // dictionary -> matches not listed
  more_children: Record<string, number>;
}

export interface Feature {
  id: number;
  density: number;
  max_activation: number;
  mean_activation: number | null;
  histogram: { max: number; counts: number[] } | null;
  top_examples: Example[];
  intervals: Interval[];
  near_misses: Example[]; // absent in older exports: []
  logits: { positive: Array<[string, number]>; negative: Array<[string, number]> } | null;
  labels: Label[];
  related: Related | null; // absent in older exports and for features with no relation
}

// index.bin, one value per feature in each column.
export interface FeatureIndex {
  n: number;
  density: Float32Array;
  maxActivation: Float32Array;
  x: Float32Array;
  y: Float32Array;
}

export interface SearchData {
  labels: Array<string | null>;
  tokens: string[];
}
