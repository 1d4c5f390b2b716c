// A feature's labels with who made them (labeler, author) and how they scored.

import type { Label } from "../data/types";
import { el } from "./dom";
import { formatValue } from "./format";

export function labelList(labels: Label[]): HTMLElement {
  const section = el("section", { class: "panel labels" }, el("h3", { text: "Labels" }));
  if (labels.length === 0) {
    section.appendChild(el("p", { class: "muted", text: "Nobody has labelled this feature yet." }));
    return section;
  }
  const list = el("ul", { class: "label-list" });
  for (const label of labels) {
    const who = [label.labeler, label.author].filter((s) => typeof s === "string" && s !== "").join(" · ");
    const score =
      typeof label.score === "number"
        ? `${label.score_kind ?? "score"} ${formatValue(label.score)}`
        : label.score_kind
          ? `${label.score_kind}: not scored`
          : "not scored";
    list.appendChild(
      el(
        "li",
        {},
        el("bdi", { class: "label-text", text: String(label.text ?? "") }),
        el("span", { class: "label-meta" }, el("span", { class: "label-who", text: who || "unknown labeler" }), " · ", score),
        label.rubric ? el("div", { class: "label-rubric muted", dir: "auto", text: label.rubric }) : null,
      ),
    );
  }
  section.appendChild(list);
  return section;
}
