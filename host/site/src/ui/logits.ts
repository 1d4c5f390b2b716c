// Logit effects: the tokens whose logits the feature raises most and lowers most (shifted so the
// median over the vocabulary is 0), with bars scaled to the largest magnitude.

import type { Feature } from "../data/types";
import { el } from "./dom";
import { formatValue, showToken } from "./format";

function column(title: string, entries: Array<[string, number]>, scale: number, sign: "pos" | "neg"): HTMLElement {
  const list = el("ol", { class: `logit-list ${sign}` });
  for (const entry of entries) {
    const [token, value] = Array.isArray(entry) ? entry : ["?", NaN];
    const width = scale > 0 && Number.isFinite(value) ? Math.min(100, (Math.abs(value) / scale) * 100) : 0;
    list.appendChild(
      el(
        "li",
        {},
        el("span", { class: "logit-token", dir: "auto", text: showToken(String(token)) || "∅" }),
        el("span", { class: "logit-bar" }, el("span", { class: "logit-fill", style: `width: ${width.toFixed(1)}%` })),
        el("span", { class: "logit-value", text: formatValue(value, 3) }),
      ),
    );
  }
  if (entries.length === 0) list.appendChild(el("li", { class: "muted", text: "none" }));
  return el("div", { class: "logit-column" }, el("h4", { text: title }), list);
}

export function logitEffects(logits: Feature["logits"]): HTMLElement {
  const section = el("section", { class: "panel logits" }, el("h3", { text: "Logit effects" }));
  if (!logits) {
    section.appendChild(el("p", { class: "muted", text: "No logit effects in this export." }));
    return section;
  }
  const positive = logits.positive ?? [];
  const negative = logits.negative ?? [];
  const scale = Math.max(0, ...[...positive, ...negative].map((e) => Math.abs(Number(e?.[1]))).filter(Number.isFinite));
  section.appendChild(
    el(
      "div",
      { class: "logit-columns" },
      column("Raises", positive, scale, "pos"),
      column("Lowers", negative, scale, "neg"),
    ),
  );
  return section;
}
