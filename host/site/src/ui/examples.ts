// Top activating examples and interval samples: short token windows, each token's background
// coloured by the feature's activation there, the token the example was chosen for outlined.

import type { Example, Interval } from "../data/types";
import { el } from "./dom";
import { formatValue } from "./format";
import { renderTokens } from "./tokens";

export function exampleRow(example: Example, max: number): HTMLElement {
  const tokens = Array.isArray(example.tokens) ? example.tokens.map(String) : [];
  const acts = Array.isArray(example.activations) ? example.activations : [];
  const focus = Number.isInteger(example.focus) && example.focus >= 0 && example.focus < tokens.length ? example.focus : null;
  return el(
    "div",
    { class: "example" },
    el("span", { class: "example-act", title: "activation at the marked token", text: formatValue(example.activation) }),
    renderTokens(tokens, { activations: acts, max, focus }),
  );
}

export function topExamples(examples: Example[], max: number): HTMLElement {
  const section = el(
    "section",
    { class: "panel top-examples" },
    el("h3", { text: `Top activations (${examples.length})` }),
  );
  if (examples.length === 0) {
    section.appendChild(el("p", { class: "muted", text: "No examples: the feature never fired on the analysed tokens." }));
  }
  for (const example of examples) section.appendChild(exampleRow(example, max));
  return section;
}

/** Near misses: the token of the strongest example where the feature stays silent (none: no section). */
export function nearMisses(examples: Example[], max: number): HTMLElement[] {
  if (examples.length === 0) return [];
  const section = el(
    "section",
    { class: "panel near-misses" },
    el("h3", { text: `Near misses (${examples.length})` }),
    el("p", { class: "muted", text: "The token of the strongest example, where this feature stays silent." }),
  );
  for (const example of examples) section.appendChild(exampleRow(example, max));
  return [section];
}

/** Interval samples, one collapsible group per interval, highest interval first. */
export function intervalSamples(intervals: Interval[], max: number): HTMLElement {
  const section = el("section", { class: "panel intervals" }, el("h3", { text: "Samples by activation interval" }));
  if (intervals.length === 0) {
    section.appendChild(el("p", { class: "muted", text: "No interval samples in this export." }));
    return section;
  }
  const ordered = [...intervals].sort((a, b) => b.high - a.high);
  let opened = 0; // the three highest intervals with examples start open
  ordered.forEach((interval) => {
    const examples = Array.isArray(interval.examples) ? interval.examples : [];
    const open = examples.length > 0 && opened < 3;
    if (open) opened++;
    const group = el(
      "details",
      { class: "interval", open },
      el(
        "summary",
        {},
        el("span", { class: "interval-range", text: `${formatValue(interval.low)} – ${formatValue(interval.high)}` }),
        el("span", { class: "muted", text: ` ${examples.length} example${examples.length === 1 ? "" : "s"}` }),
      ),
    );
    if (examples.length === 0) group.appendChild(el("p", { class: "muted", text: "None in this interval." }));
    for (const example of examples) group.appendChild(exampleRow(example, max));
    section.appendChild(group);
  });
  return section;
}
