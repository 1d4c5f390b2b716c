// One feature: labels, related features of other dictionaries, density, histogram, logit effects,
// top examples, interval samples, and (when the export has a model) sampling with the feature pinned.

import type { Feature } from "../data/types";
import type { Context } from "./context";
import { el, fill, featureHref, link, message } from "./dom";
import { intervalSamples, nearMisses, topExamples } from "./examples";
import { clearFlag, mark, setFlag } from "./flags";
import { formatCount, formatDensity, formatValue } from "./format";
import { generator } from "./generate";
import { histogramBlock } from "./histogram";
import { liveLabelList } from "./labels";
import { logitEffects } from "./logits";
import { relatedFeatures } from "./relatedFeatures";

/** Renders into `view`; resolves when done (data-feature-ready is then set to the id). */
export async function showFeature(ctx: Context, view: HTMLElement, idText: string, isCurrent: () => boolean): Promise<void> {
  const n = ctx.run.n_features;
  const id = /^\d+$/.test(idText) ? Number(idText) : NaN;
  clearFlag("labelsReady");
  const finish = (status: "ok" | "error") => {
    setFlag("featureStatus", status);
    setFlag("featureReady", idText);
    mark("feature-ready");
  };
  if (!Number.isSafeInteger(id) || id >= n) {
    const what = Number.isSafeInteger(id) ? `Feature ${idText} doesn't exist` : `“${idText}” is not a feature id`;
    fill(view, 
      el("h2", { text: "No such feature" }),
      message("error", `${what}: this run has ${formatCount(n)} features, numbered 0 to ${formatCount(Math.max(0, n - 1))}.`, {
        "data-problem": "out-of-range",
      }),
    );
    finish("error");
    return;
  }
  fill(view, header(ctx, id, null), message("info", "Loading…"));
  let feature: Feature;
  try {
    feature = await ctx.store.feature(id);
  } catch (e) {
    if (!isCurrent()) return;
    const shard = ctx.store.shardOf(id);
    const first = shard * ctx.run.shard_size;
    const last = Math.min(n, first + ctx.run.shard_size) - 1;
    fill(view, 
      header(ctx, id, null),
      message("error", `${(e as Error).message}: features ${first}–${last} can't be shown. Other features still work.`, {
        "data-problem": "shard",
      }),
      indexSummary(ctx, id),
    );
    finish("error");
    return;
  }
  if (!isCurrent()) return;
  const max = feature.max_activation > 0 ? feature.max_activation : 1;
  fill(view, 
    header(ctx, id, feature),
    stats(ctx, feature),
    liveLabelList(id, feature.labels),
    relatedFeatures(feature.related),
    el(
      "div",
      { class: "two-columns" },
      feature.histogram ? histogramBlock(feature.histogram) : el("section", { class: "panel" }, el("p", { class: "muted", text: "No histogram." })),
      logitEffects(feature.logits),
    ),
    topExamples(feature.top_examples, max),
    intervalSamples(feature.intervals, max),
    nearMisses(feature.near_misses, max),
    steering(ctx, feature),
  );
  finish("ok");
}

function header(ctx: Context, id: number, feature: Feature | null): HTMLElement {
  const n = ctx.run.n_features;
  const title = feature?.labels[0]?.text ?? ctx.labelOf(id) ?? null;
  return el(
    "header",
    { class: "feature-header" },
    el("h2", {}, `Feature #${id}`, title ? el("bdi", { class: "feature-title", text: ` ${title}` }) : null),
    el(
      "nav",
      { class: "feature-nav" },
      id > 0 ? link(featureHref(id - 1), `← #${id - 1}`) : null,
      id + 1 < n ? link(featureHref(id + 1), `#${id + 1} →`) : null,
      link("#/map?feature=" + id, "on the map"),
      ctx.model.source !== null ? link(`#/fires?feature=${id}`, "what fires here") : null,
    ),
  );
}

function stat(name: string, value: string, title?: string): HTMLElement {
  return el("div", { class: "stat", title }, el("span", { class: "stat-value", text: value }), el("span", { class: "stat-name", text: name }));
}

function stats(ctx: Context, f: Feature): HTMLElement {
  const tokens = ctx.run.tokens_analysed;
  const active = tokens !== null && Number.isFinite(f.density) ? Math.round(f.density * tokens) : null;
  return el(
    "section",
    { class: "stats" },
    stat("density", formatDensity(f.density), active !== null ? `active on ${formatCount(active)} of ${formatCount(tokens!)} tokens` : undefined),
    stat("max activation", formatValue(f.max_activation)),
    stat("mean activation", f.mean_activation === null ? "–" : formatValue(f.mean_activation), "over the tokens where it is active"),
    active !== null ? stat("active tokens", formatCount(active)) : null,
  );
}

/** What index.bin knows about a feature whose shard is unavailable. */
function indexSummary(ctx: Context, id: number): HTMLElement | null {
  if (!ctx.index) return null;
  return el(
    "section",
    { class: "stats" },
    stat("density", formatDensity(ctx.index.density[id])),
    stat("max activation", formatValue(ctx.index.maxActivation[id])),
  );
}

function steering(ctx: Context, f: Feature): HTMLElement | null {
  if (ctx.model.source === null) return null;
  return el(
    "section",
    { class: "panel steering" },
    el("h3", { text: "Pin this feature" }),
    el("p", {
      class: "muted",
      text: "Samples with the feature's activation fixed at every position (keeping the dictionary's error), beside a normal sample with the same seed.",
    }),
    generator(ctx, { feature: { id: f.id, max: f.max_activation } }),
  );
}
