// Continuing a prompt, as the C++ toy_transformer's generate(): an empty
// prompt starts with the end-of-text token, each step samples the next token
// from the logits of the last position, and the end-of-text token stops
// (it is not part of the output). The MLP hooks (pinned features) apply at
// every position, prompt included.
//
// The key/value cache makes each new token one step of the model. The C++
// re-runs the last n_ctx tokens for every token it generates; doing that here
// would cost n_ctx steps per token once the context is full, so instead, when
// the cache is full, the last `keepOnSlide` tokens (default n_ctx / 2) are
// re-run from position 0 and generation continues from there: every
// prediction then sees between keepOnSlide and n_ctx tokens of context. With
// keepOnSlide = n_ctx - 1 it sees exactly the last n_ctx tokens, as the C++.

import { Rng, Sampler } from "./sampling";
import type { BpeTokenizer } from "./tokenizer";
import type { InferenceState, MlpHooks, Transformer } from "./transformer";

export interface GenerateOptions {
  maxNewTokens: number;
  temperature: number; // <= 0: greedy
  topK: number; // <= 0: whole vocabulary
  seed: number;
  hooks?: MlpHooks | null;
  keepOnSlide?: number;
}

export interface Generation {
  promptIds: number[]; // as run: the last n_ctx tokens of the prompt
  promptTruncated: boolean;
  ids: number[]; // the new tokens, without the end-of-text token
  stoppedAtEos: boolean;
  seconds: number; // wall time of the whole generation, prompt included
  tokensPerSecond: number; // ids.length / seconds
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

export class Generator {
  private readonly state: InferenceState;
  private readonly sampler: Sampler;
  private readonly logits: Float32Array;

  constructor(readonly model: Transformer, readonly tokenizer: BpeTokenizer) {
    this.state = model.newState();
    this.sampler = new Sampler(model.config.d_vocab);
    this.logits = new Float32Array(model.config.d_vocab);
  }

  /** Token ids continuing `prompt` (a string, or ids already encoded). */
  generate(prompt: string | number[], options: GenerateOptions): Generation {
    const start = now();
    const T = this.model.config.n_ctx;
    const keep = Math.max(0, Math.min(T - 1, Math.floor(options.keepOnSlide ?? T / 2)));
    const hooks = options.hooks ?? null;
    const rng = new Rng(options.seed);
    const sampling = { temperature: options.temperature, topK: options.topK };
    let ids = typeof prompt === "string" ? this.tokenizer.encode(prompt) : prompt.slice();
    if (ids.length === 0) ids = [this.tokenizer.eosId]; // an empty prompt starts a new document
    const { ids: promptIds, truncated } = this.model.window(ids);

    const state = this.state, logits = this.logits;
    const prefill = (window: number[]): void => {
      state.reset();
      for (let t = 0; t < window.length; t++)
        this.model.step(state, window[t], hooks, t === window.length - 1 ? logits : null);
    };
    prefill(promptIds);

    const context = promptIds.slice(); // what the model has seen, in order
    const out: number[] = [];
    let stoppedAtEos = false;
    const max = Math.max(0, Math.floor(options.maxNewTokens));
    for (let i = 0; i < max; i++) {
      const next = this.sampler.sample(logits, sampling, rng);
      if (next === this.tokenizer.eosId) {
        stoppedAtEos = true;
        break;
      }
      out.push(next);
      context.push(next);
      if (i === max - 1) break;
      if (state.length < T) {
        this.model.step(state, next, hooks, logits);
      } else {
        prefill(context.slice(context.length - keep - 1)); // keep tokens before next, then next
      }
    }
    const seconds = (now() - start) / 1000;
    return {
      promptIds,
      promptTruncated: truncated,
      ids: out,
      stoppedAtEos,
      seconds,
      tokensPerSecond: seconds > 0 ? out.length / seconds : 0,
    };
  }
}
