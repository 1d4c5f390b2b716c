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
  author: string | null;
  score: number | null;
  score_kind: string | null;
  rubric: string | null;
}

export interface Feature {
  id: number;
  density: number;
  max_activation: number;
  mean_activation: number | null;
  histogram: { max: number; counts: number[] } | null;
  top_examples: Example[];
  intervals: Interval[];
  logits: { positive: Array<[string, number]>; negative: Array<[string, number]> } | null;
  labels: Label[];
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
