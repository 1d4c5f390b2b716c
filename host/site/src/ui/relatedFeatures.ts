// The Related features panel of a feature page: its twin in another model's dictionary, its parent
// in the next smaller dictionary, its children in the next larger one, and the features of another
// model whose best match it is. A related feature is a link when its dictionary's site was
// exported beside this one (`dictlab export --all`), else its id as plain text.

import { relatedGroups, type RelatedGroup } from "../data/related";
import type { Related, RelatedFeature } from "../data/types";
import { el } from "./dom";
import { formatCount, formatValue } from "./format";

function where(g: RelatedGroup): string {
  return g.model ? `${g.model} / ${g.dictionary}` : g.dictionary;
}

function heading(g: RelatedGroup): string {
  switch (g.kind) {
    case "twin":
      return `Twin in ${where(g)}:`;
    case "parent":
      return `Parent in ${g.dictionary}:`;
    case "children":
      return `Children in ${g.dictionary} (${formatCount(g.features.length + g.more)}${g.features.length > 1 ? ", by correlation" : ""}):`;
    case "matched":
      return `Best match of, in ${where(g)}${g.features.length > 1 ? ` (${formatCount(g.features.length + g.more)}, by correlation)` : ""}:`;
  }
}

const EXPLAIN: Record<RelatedGroup["kind"], string> = {
  twin: "The feature of the other model's dictionary whose activations correlate best with this one's, on the same tokens.",
  parent: "The feature of the next smaller dictionary of this model that this one matches best.",
  children: "The features of the next larger dictionary of this model whose best match in this dictionary is this feature, strongest first.",
  matched: "Features of the other model's dictionary whose best-correlated feature in this dictionary is this one.",
};

function measures(f: RelatedFeature): string {
  const parts: string[] = [];
  if (f.correlation !== null) parts.push(`correlation ${formatValue(f.correlation)}`);
  if (f.cosine !== null) parts.push(`cosine ${formatValue(f.cosine)}`);
  return parts.join(", ");
}

/** "#17, correlation 0.83, cosine 0.77" alone on its line; "#5 (0.83)" in a list (the rest in its tooltip). */
function item(f: RelatedFeature, inList: boolean): HTMLElement {
  const id = `#${f.feature}`;
  const all = measures(f);
  const shown = inList ? (f.correlation !== null ? ` (${formatValue(f.correlation)})` : "") : all ? `, ${all}` : "";
  const title = [inList ? all : "", f.source ? `from stage ${f.source}` : ""].filter(Boolean).join("; ") || undefined;
  const name = f.href
    ? el("a", { class: "related-link", href: f.href, "data-feature": f.feature, text: id })
    : el("span", { class: "related-id", "data-feature": f.feature, text: id });
  return el("span", { class: "related-item", title }, name, el("span", { class: "related-measures", text: shown }));
}

function line(g: RelatedGroup): HTMLElement {
  const inList = g.features.length > 1;
  const items: Array<Node | string> = [];
  g.features.forEach((f, i) => items.push(...(i ? [", "] : []), item(f, inList)));
  return el(
    "li",
    { "data-kind": g.kind, "data-dictionary": g.dictionary },
    el("span", { class: "related-what", title: EXPLAIN[g.kind], text: heading(g) }),
    " ",
    items,
    g.more > 0 ? el("span", { class: "muted", text: ` and ${formatCount(g.more)} more` }) : null,
  );
}

/** The panel, or null when the export says nothing about related features (older exports). */
export function relatedFeatures(related: Related | null): HTMLElement | null {
  if (!related) return null;
  const groups = relatedGroups(related);
  if (groups.length === 0) return null;
  const unlinked = groups.some((g) => g.features.some((f) => !f.href));
  return el(
    "section",
    { class: "panel related" },
    el("h3", { text: "Related features" }),
    el("ul", { class: "related-list" }, groups.map(line)),
    unlinked
      ? el("p", {
          class: "muted small",
          text: "Ids without a link belong to dictionaries that have no feature analysis in this run, so no page to open.",
        })
      : null,
  );
}
