// Sampling from the model: prompt, temperature, top-k, max tokens, seed, and pinned features.
// With a pin, a normal and a pinned sample are drawn with the same seed and shown side by side.

import type { Pin } from "../model/api";
import type { Context } from "./context";
import { el, featureHref, link, message } from "./dom";
import { bumpFlag } from "./flags";
import { formatValue } from "./format";
import { modelStatusLine, modelUsable } from "./modelStatus";
import { renderTokens } from "./tokens";

export interface GenerateOptions {
  /** On a feature page: pin this feature; the value field starts at its max activation. */
  feature?: { id: number; max: number };
}

function numberField(label: string, name: string, value: number, attrs: Record<string, string | number> = {}) {
  const input = el("input", { type: "number", name, value, ...attrs });
  return { input, wrap: el("label", { class: "field" }, el("span", { text: label }), input) };
}

/** Parses "12=3.5, 40" (value defaults to the feature's max activation from index.bin). */
export function parsePins(text: string, ctx: Context): Pin[] {
  const pins: Pin[] = [];
  for (const part of text.split(/[,;\s]+/).filter((p) => p !== "")) {
    const m = /^#?(\d+)(?:[=:](-?[\d.]+(?:e-?\d+)?))?$/i.exec(part);
    if (!m) throw new Error(`“${part}” is not a pin; write FEATURE or FEATURE=VALUE`);
    const feature = Number(m[1]);
    if (feature >= ctx.run.n_features) throw new Error(`feature ${feature} is out of range (0–${ctx.run.n_features - 1})`);
    const fallback = ctx.index ? ctx.index.maxActivation[feature] : NaN;
    const value = m[2] !== undefined ? Number(m[2]) : fallback;
    if (!Number.isFinite(value)) throw new Error(`feature ${feature} needs a value (FEATURE=VALUE)`);
    pins.push({ feature, value });
  }
  return pins;
}

function sampleView(title: string | Node, prompt: string, result: { tokens: string[]; tokensPerSecond: number }) {
  return el(
    "div",
    { class: "sample" },
    el("h4", {}, title),
    el(
      "div",
      { class: "sample-text", dir: "auto" },
      el("span", { class: "sample-prompt", text: prompt }),
      renderTokens(result.tokens, { tip: (i) => `${JSON.stringify(result.tokens[i])} (token ${i + 1})` }),
    ),
    el("p", {
      class: "sample-speed muted",
      text: `${result.tokens.length} tokens · ${formatValue(result.tokensPerSecond, 0)} tokens/s`,
    }),
  );
}

export function generator(ctx: Context, options: GenerateOptions = {}): HTMLElement {
  const feature = options.feature;
  const prompt = el("textarea", {
    class: "prompt",
    rows: feature ? 2 : 4,
    dir: "auto",
    "aria-label": "Prompt",
    placeholder: "Prompt (may be empty)",
  });
  prompt.value = feature ? "" : "The ";
  const temperature = numberField("temperature", "temperature", 0.8, { min: 0, max: 5, step: 0.1 });
  const topK = numberField("top-k", "topk", 40, { min: 0, step: 1 });
  const maxTokens = numberField("max tokens", "max", feature ? 40 : 64, { min: 1, max: 1024, step: 1 });
  const seed = numberField("seed", "seed", 1, { min: 0, step: 1 });
  const pinValue = feature
    ? numberField(`pin #${feature.id} to`, "pin", Number(formatValue(feature.max, 3)) || 1, { step: "any" })
    : null;
  const pinsText = feature
    ? null
    : el("input", { type: "text", name: "pins", class: "pins", placeholder: "e.g. 12=3.5, 40", "aria-label": "Pinned features" });
  const button = el("button", { type: "submit", class: "primary", text: feature ? "Generate normal and pinned" : "Generate" });
  const output = el("div", { class: "samples", "aria-live": "polite" });
  const form = el(
    "form",
    { class: "generate-form" },
    prompt,
    el(
      "div",
      { class: "fields" },
      temperature.wrap,
      topK.wrap,
      maxTokens.wrap,
      seed.wrap,
      pinValue?.wrap,
      pinsText ? el("label", { class: "field wide" }, el("span", { text: "pin features" }), pinsText) : null,
    ),
    button,
  );
  const status = modelStatusLine(ctx.model);
  const refresh = () => {
    const usable = modelUsable(ctx.model);
    button.disabled = !usable;
    const noFeatures = ctx.run.sae === null || ctx.model.featuresProblem !== null;
    if (pinValue) pinValue.input.disabled = noFeatures;
    if (pinsText) pinsText.disabled = noFeatures;
    if (feature && noFeatures) button.disabled = true;
  };
  ctx.model.onState(refresh);
  refresh();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let pins: Pin[];
    try {
      if (pinValue) {
        const v = Number(pinValue.input.value);
        if (!Number.isFinite(v)) throw new Error("the pin value is not a number");
        pins = [{ feature: feature!.id, value: v }];
      } else {
        pins = parsePins(pinsText?.value ?? "", ctx);
      }
    } catch (e) {
      output.replaceChildren(message("error", (e as Error).message));
      bumpFlag("generated");
      return;
    }
    const params = {
      prompt: prompt.value,
      maxNewTokens: Math.max(1, Math.floor(Number(maxTokens.input.value) || 1)),
      temperature: Math.max(0, Number(temperature.input.value) || 0),
      topK: Math.max(0, Math.floor(Number(topK.input.value) || 0)),
      seed: Math.max(0, Math.floor(Number(seed.input.value) || 0)),
    };
    button.disabled = true;
    output.replaceChildren(message("info", "Generating…"));
    try {
      const normal = await ctx.model.generate({ ...params, pins: [] });
      const views = [sampleView(pins.length ? "Normal" : "Sample", params.prompt, normal)];
      if (pins.length) {
        const pinned = await ctx.model.generate({ ...params, pins });
        const title = el("span", {}, "Pinned ");
        pins.forEach((p, i) => {
          if (i > 0) title.append(", ");
          title.append(link(featureHref(p.feature), `#${p.feature}`), ` = ${formatValue(p.value)}`);
        });
        views.push(sampleView(title, params.prompt, pinned));
      }
      output.replaceChildren(
        el("p", { class: "muted", text: `seed ${params.seed}, temperature ${params.temperature}, top-k ${params.topK || "all"}` }),
        el("div", { class: `sample-grid n${views.length}` }, views),
      );
    } catch (e) {
      output.replaceChildren(message("error", `Generation failed: ${(e as Error).message}`));
    } finally {
      refresh();
      bumpFlag("generated");
    }
  });

  return el("div", { class: "generator" }, status, form, output);
}
