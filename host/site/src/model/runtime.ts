// What the worker does for each request of api.ts, without the messaging:
// importable from node (tests, benchmarks) as well as from the worker.
// A LoadedModel holds the transformer, its tokenizer and (optionally) the
// dictionary (an SAE or a transcoder, placement.ts) read from the bytes of
// model.safetensors and sae.safetensors.

import type { Pin, TokenFeatures } from "./api";
import { Generator } from "./generate";
import { checkFits, featureHooks, pinHooks } from "./placement";
import { SafetensorsFile } from "./safetensors";
import { Sae } from "./sae";
import { BpeTokenizer } from "./tokenizer";
import { Transformer } from "./transformer";

export interface TokensResult {
  ids: number[];
  tokens: string[];
  truncated: boolean;
  /** Tokens of the whole text before cutting it to the context. */
  totalTokens: number;
}

export interface GeneratedResult {
  text: string;
  tokens: string[];
  tokensPerSecond: number;
  ids: number[];
  promptTruncated: boolean;
}

export interface FeaturesResult {
  tokens: TokenFeatures[];
  truncated: boolean;
}

export interface GenerateRequest {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  pins: Pin[];
}

export class LoadedModel {
  readonly model: Transformer;
  readonly tokenizer: BpeTokenizer;
  readonly sae: Sae | null;
  private readonly generator: Generator;

  constructor(model: Transformer, tokenizer: BpeTokenizer, sae: Sae | null) {
    if (sae) checkFits(sae, model.config);
    if (tokenizer.vocabSize !== model.config.d_vocab)
      throw new Error(`the tokenizer has ${tokenizer.vocabSize} pieces but the model ${model.config.d_vocab} logits`);
    this.model = model;
    this.tokenizer = tokenizer;
    this.sae = sae;
    this.generator = new Generator(model, tokenizer);
  }

  /** From the bytes of model.safetensors (metadata: config, tokenizer) and sae.safetensors (metadata: cfg). */
  static fromBuffers(modelBytes: ArrayBuffer, saeBytes: ArrayBuffer | null, names = { model: "model.safetensors", sae: "sae.safetensors" }): LoadedModel {
    const modelFile = new SafetensorsFile(modelBytes, names.model);
    const tokenizerText = modelFile.metadata["tokenizer"];
    if (!tokenizerText) throw new Error(`${names.model}: no "tokenizer" in the safetensors metadata`);
    const model = Transformer.fromSafetensors(modelFile);
    const tokenizer = new BpeTokenizer(tokenizerText);
    const sae = saeBytes ? Sae.fromSafetensors(new SafetensorsFile(saeBytes, names.sae)) : null;
    return new LoadedModel(model, tokenizer, sae);
  }

  get vocabSize(): number {
    return this.model.config.d_vocab;
  }
  get contextLength(): number {
    return this.model.config.n_ctx;
  }
  get dSae(): number | null {
    return this.sae ? this.sae.config.d_sae : null;
  }

  /** The tokens of `text` the model would see: its last n_ctx. */
  tokenize(text: string): TokensResult {
    const all = this.tokenizer.encode(text);
    const display = this.tokenizer.displayTokens(all); // over the whole text, so a cut character shows as ""
    const { ids, truncated } = this.model.window(all);
    return { ids, tokens: display.slice(all.length - ids.length), truncated, totalTokens: all.length };
  }

  generate(request: GenerateRequest): GeneratedResult {
    if (request.pins.length > 0 && !this.sae) throw new Error("features cannot be pinned: no SAE is loaded");
    const hooks = this.sae ? pinHooks(this.sae, request.pins) : null;
    const g = this.generator.generate(request.prompt, {
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      seed: request.seed,
      hooks,
    });
    return {
      text: this.tokenizer.decode(g.ids),
      tokens: this.tokenizer.displayTokens(g.ids),
      tokensPerSecond: g.tokensPerSecond,
      ids: g.ids,
      promptTruncated: g.promptTruncated,
    };
  }

  /** Per token of `text` (its last n_ctx): the dictionary's features active there, highest first, at most topN. */
  features(text: string, topN: number): FeaturesResult {
    const sae = this.sae;
    if (!sae) throw new Error("no SAE is loaded");
    const { ids, tokens, truncated } = this.tokenize(text);
    const perToken: TokenFeatures[] = [];
    const n = Math.max(0, Math.floor(topN));
    const hooks = featureHooks(sae, (features, position) => perToken.push({ token: tokens[position], features }), n);
    this.model.forward(ids, { logits: false, hooks });
    return { tokens: perToken, truncated };
  }
}
