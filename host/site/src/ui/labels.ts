// A feature's labels with who made them (labeler, author) and how they scored: those in the
// export's shards, and (under `dictlab serve`) the human labels saved since, fetched live.

import { labelApi, labelsOfFeature, type HumanLabel } from "../data/labelsApi";
import type { Label } from "../data/types";
import { el, fill, link } from "./dom";
import { setFlag } from "./flags";
import { formatValue } from "./format";

export type ShownLabel = Label | HumanLabel;

function isHuman(label: ShownLabel): label is HumanLabel {
  return "created_at" in label;
}

function rubricText(rubric: unknown): string | null {
  return typeof rubric === "number" && Number.isFinite(rubric) ? `rubric ${rubric}/4` : null;
}

function labelItem(label: ShownLabel): HTMLElement {
  const who = [label.labeler, label.author].filter((s) => typeof s === "string" && s !== "").join(" · ");
  let score: string;
  let rubricLine: string | null = null;
  if (isHuman(label)) {
    score = [rubricText(label.rubric) ?? "no rubric", label.created_at ? label.created_at.replace("T", " ").replace(/Z$/, " UTC") : null]
      .filter(Boolean)
      .join(" · ");
  } else {
    const scores = Object.entries(label.scores ?? {});
    score = scores.length ? scores.map(([scorer, value]) => `${scorer} ${formatValue(value)}`).join(" · ") : "not scored";
    const r = rubricText(label.rubric);
    if (r) score += ` · ${r}`;
    else if (typeof label.rubric === "string" && label.rubric !== "") rubricLine = label.rubric;
  }
  return el(
    "li",
    { "data-author": label.author ?? null, "data-labeler": label.labeler ?? null },
    el("bdi", { class: "label-text", text: String(label.text ?? "") }),
    el("span", { class: "label-meta" }, el("span", { class: "label-who", text: who || "unknown labeler" }), " · ", score),
    rubricLine ? el("div", { class: "label-rubric muted", dir: "auto", text: rubricLine }) : null,
  );
}

/** The labels as a list (no heading); `empty` is said when there are none. */
export function labelItems(labels: ShownLabel[], empty = "Nobody has labelled this feature yet."): HTMLElement {
  if (labels.length === 0) return el("p", { class: "muted", text: empty });
  return el("ul", { class: "label-list" }, labels.map(labelItem));
}

export function labelList(labels: ShownLabel[]): HTMLElement {
  return el("section", { class: "panel labels" }, el("h3", { text: "Labels" }), labelItems(labels));
}

/**
 * The labels panel of a feature page: the shard's labels at once, then, when the labelling API
 * exists, with the live human labels in place of the shard's human ones. Sets data-labels-ready
 * to the id when it is final.
 */
export function liveLabelList(id: number, shardLabels: Label[]): HTMLElement {
  const heading = el("h3", { text: "Labels" });
  const body = el("div", { class: "label-body" }, labelItems(shardLabels));
  const section = el("section", { class: "panel labels" }, heading, body);
  const done = () => {
    if (section.isConnected) setFlag("labelsReady", id);
  };
  void labelApi().then(async (api) => {
    if (!api) {
      done();
      return;
    }
    heading.append(" ", link(`#/label?feature=${id}`, "label it", { class: "small label-it" }));
    try {
      const live = await labelsOfFeature(id);
      fill(body, labelItems([...shardLabels.filter((l) => l.labeler !== "human"), ...live]));
    } catch (e) {
      body.append(el("p", { class: "muted label-live-error", text: `Human labels saved since the export: ${(e as Error).message}` }));
    }
    done();
  });
  return section;
}
