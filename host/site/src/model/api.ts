// The contract between the page and the model running in a Web Worker.
// The page posts a Request and receives a Response with the same `id`.

export interface Pin {
  feature: number;
  value: number; // clamp value; the page defaults it to the feature's max_activation
}

export type Request =
  | { id: number; type: "load"; modelUrl: string; saeUrl: string | null }
  | { id: number; type: "tokenize"; text: string }
  | {
      id: number;
      type: "generate";
      prompt: string;
      maxNewTokens: number;
      temperature: number; // 0 = greedy
      topK: number; // 0 = whole vocabulary
      seed: number;
      pins: Pin[];
    }
  // Per token of `text` (cut to the context length): the features active there.
  | { id: number; type: "features"; text: string; topN: number };

export interface TokenFeatures {
  token: string; // display string (see DATA.md)
  features: Array<[number, number]>; // [feature id, activation], highest first, at most topN
}

export type Response =
  | { id: number; type: "loaded"; vocabSize: number; contextLength: number; dSae: number | null }
  | { id: number; type: "tokens"; ids: number[]; tokens: string[]; truncated: boolean }
  | {
      id: number;
      type: "generated";
      text: string;
      tokens: string[];
      tokensPerSecond: number;
      promptTruncated?: boolean; // the prompt was longer than the context: its last tokens were used
    }
  | { id: number; type: "features"; tokens: TokenFeatures[]; truncated: boolean }
  | { id: number; type: "error"; message: string };
