// #/labels: every labeler's label of each feature side by side with its scores, sortable by how
// much the labels disagree; above it, per labeler and scorer, the distribution of the scores and
// how well the labelers agree. Data: data/labels.json (DATA.md), and under `dictlab serve`
// people's labels live from the labelling API. Sets data-labels-view (loading|ready|empty|error)
// and counts data-labels-rendered each time the table is drawn (a sort, a filter).

import { dataPath } from "../data/fetch";
import { allLabels, labelApi } from "../data/labelsApi";
import { loadLabels, withLiveLabels, type LabelEntry, type LabelsData } from "../data/labelsFile";
import {
  agreements,
  columnsOf,
  filterRows,
  rowsOf,
  scoreDistributions,
  sortRows,
  type Distribution,
  type LabelColumn,
  type LabelRow,
  type SortKey,
} from "../data/labelStats";
import type { Context } from "./context";
import { el, featureHref, fill, link, message, svg } from "./dom";
import { bumpFlag, setFlag } from "./flags";
import { formatCount, formatValue } from "./format";

const MAX_ROWS = 500; // drawn at once; "show all" draws the rest
const DISAGREEMENT_TIP =
  "1 − Jaccard similarity of the lowercased word sets of the labels: between a person's and an LLM's " +
  "label where the feature has both (the mean over such pairs), else over every pair of its labels. " +
  "0: the same words; 1: no word in common.";
const AGREEMENT_TIP =
  "Features both labelled, and the mean over them of the Jaccard similarity of the two labels' " +
  "lowercased word sets (1: the same words), as label_scores' label_agreement_mean.";

interface Loaded {
  data: LabelsData | null;
  source: string; // where the labels came from, for the page
  problem: string | null;
}

/** The export's labels and, under `dictlab serve`, people's labels as they are now. */
async function loadAll(): Promise<Loaded> {
  const [exported, api] = await Promise.all([
    loadLabels().then(
      (data) => ({ data, problem: null }),
      (e: unknown) => ({ data: null, problem: (e as Error).message }),
    ),
    labelApi(),
  ]);
  if (!api) return { ...exported, source: `the export (${dataPath("labels.json")})` };
  try {
    const live = await allLabels();
    const base = exported.data ?? { scorers: [], features: [] };
    return { data: withLiveLabels(base, live), source: "the export, with people's labels live from dictlab serve", problem: exported.problem };
  } catch (e) {
    return { ...exported, source: `the export (${dataPath("labels.json")}); people's labels since: ${(e as Error).message}` };
  }
}

export function showLabels(ctx: Context, view: HTMLElement, isCurrent: () => boolean): void {
  setFlag("labelsView", "loading");
  fill(view, el("h2", { text: "Labels" }), message("info", "Loading the labels…"));
  void loadAll().then(({ data, source, problem }) => {
    if (!isCurrent()) return;
    const heading = el("h2", { text: "Labels" });
    if (!data) {
      fill(view, heading, message("error", `${problem}: there are no labels to compare.`));
      setFlag("labelsView", "error");
      return;
    }
    if (data.features.length === 0) {
      fill(
        view,
        heading,
        problem ? message("warn", problem) : null,
        message("info", "No feature has a label yet: run a labeler stage (baseline, llm), or label features by hand under dictlab serve."),
      );
      setFlag("labelsView", "empty");
      return;
    }
    const columns = columnsOf(data);
    const rows = rowsOf(data);
    fill(
      view,
      heading,
      problem ? message("warn", problem) : null,
      el("p", { class: "muted", text: `${formatCount(rows.length)} labelled features, from ${source}.` }),
      summary(ctx, data, columns, rows),
      new LabelsTable(columns, data.scorers, rows).element,
    );
    setFlag("labelsView", "ready");
  });
}

// -- The summary -------------------------------------------------------------------------------

function summary(ctx: Context, data: LabelsData, columns: LabelColumn[], rows: LabelRow[]): HTMLElement {
  const dictionary = ctx.run.dictionary_stage ?? "?";
  const section = el(
    "section",
    { class: "panel labels-summary" },
    el("h3", { text: `Dictionary ${dictionary}` }, el("span", { class: "small muted", text: ` (analysis ${ctx.run.analysis_stage ?? "?"})` })),
  );
  if (data.scorers.length === 0) {
    section.append(el("p", { class: "muted no-scores", text: "No label has a score: add a label_scores stage to the run (plugins/label_scores)." }));
  } else {
    section.append(el("h4", { text: "Scores per labeler and scorer" }), distributionTable(data, columns));
  }
  section.append(el("h4", { text: "Agreement between labelers", "data-tip": AGREEMENT_TIP }), agreementTable(rows, columns));
  return section;
}

function distributionTable(data: LabelsData, columns: LabelColumn[]): HTMLElement {
  const distributions = scoreDistributions(data, columns);
  return el(
    "table",
    { class: "score-summary" },
    el("thead", {}, el("tr", {}, el("th", { text: "labeler" }), data.scorers.map((s) => el("th", { text: s })))),
    el(
      "tbody",
      {},
      columns.map((c) =>
        el(
          "tr",
          { "data-column": c.key },
          el("th", { text: c.key, title: columnTitle(c) }),
          data.scorers.map((s) => distributionCell(distributions.get(c.key)!.get(s)!, s)),
        ),
      ),
    ),
  );
}

function distributionCell(d: Distribution, scorer: string): HTMLElement {
  const cell = el("td", { class: "distribution", "data-scorer": scorer, "data-count": d.count });
  if (d.count === 0) {
    cell.append(el("span", { class: "muted", text: "no scores" }));
    return cell;
  }
  const spread = d.stderr === null ? "" : ` ± ${formatValue(d.stderr)}`;
  cell.dataset.mean = String(d.mean);
  cell.append(sparkline(d), el("span", { class: "distribution-text", text: `n = ${d.count}, mean ${formatValue(d.mean!)}${spread}` }));
  return cell;
}

/** A small histogram of the scores over [low, high]; hovering a bar gives its range and count. */
function sparkline(d: Distribution): SVGSVGElement {
  const [width, height] = [120, 28];
  const top = Math.max(1, ...d.bins);
  const barWidth = width / d.bins.length;
  const root = svg("svg", { class: "sparkline", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Histogram of ${d.count} scores` });
  d.bins.forEach((count, i) => {
    const h = count > 0 ? Math.max(1, (count / top) * (height - 2)) : 0;
    const low = d.low + ((d.high - d.low) * i) / d.bins.length;
    const high = d.low + ((d.high - d.low) * (i + 1)) / d.bins.length;
    root.append(
      svg("rect", { x: (i * barWidth + 0.5).toFixed(1), y: (height - h).toFixed(1), width: (barWidth - 1).toFixed(1), height: h.toFixed(1), class: "bar" }),
      svg("rect", { x: (i * barWidth).toFixed(1), y: 0, width: barWidth.toFixed(1), height, class: "bin-hit", "data-tip": `${formatValue(low)} – ${formatValue(high)}: ${count} labels` }),
    );
  });
  return root;
}

function agreementTable(rows: LabelRow[], columns: LabelColumn[]): HTMLElement {
  const pairs = agreements(rows, columns);
  if (pairs.length === 0) return el("p", { class: "muted", text: "Only one labeler: nothing to compare." });
  return el(
    "table",
    { class: "agreement" },
    el("thead", {}, el("tr", {}, ["labelers", "features both labelled", "mean Jaccard similarity"].map((t) => el("th", { text: t })))),
    el(
      "tbody",
      {},
      pairs.map((p) =>
        el(
          "tr",
          { "data-pair": `${p.a}|${p.b}`, "data-features": p.features },
          el("td", { text: `${p.a} vs ${p.b}` }),
          el("td", { class: "num", text: formatCount(p.features) }),
          el("td", { class: "num", text: p.similarity === null ? "–" : formatValue(p.similarity) }),
        ),
      ),
    ),
  );
}

function columnTitle(c: LabelColumn): string {
  return c.key === "human" ? "people's labels (labelling page, labels.sqlite)" : `labeler ${c.labeler}, stage ${c.stage ?? "?"}`;
}

// -- The table -----------------------------------------------------------------------------------

function sortName(key: SortKey): string {
  return key.kind === "score" ? `score:${key.column}:${key.scorer}` : key.kind;
}

class LabelsTable {
  readonly element: HTMLElement;
  private sort: SortKey = { kind: "disagreement" };
  private descending = true;
  private showAll = false;
  private readonly filter = el("input", {
    type: "search",
    class: "labels-filter",
    placeholder: "Filter by label, author or feature id",
    "aria-label": "Filter labels",
    dir: "auto",
  });
  private readonly caption = el("span", { class: "labels-caption muted", "aria-live": "polite" });
  private readonly head = el("thead");
  private readonly body = el("tbody");
  private readonly more = el("button", { type: "button", class: "link-button labels-more" });

  constructor(
    private readonly columns: LabelColumn[],
    private readonly scorers: string[],
    private readonly rows: LabelRow[],
  ) {
    this.filter.addEventListener("input", () => this.render());
    this.more.addEventListener("click", () => {
      this.showAll = true;
      this.render();
    });
    this.element = el(
      "section",
      { class: "panel labels-table-panel" },
      el("div", { class: "labels-controls" }, this.filter, this.caption),
      el("div", { class: "labels-table-holder" }, el("table", { class: "labels-table" }, this.head, this.body)),
      this.more,
      el("p", { class: "small muted", text: `Disagreement: ${DISAGREEMENT_TIP} Click a column's header to sort by it, again to reverse.` }),
    );
    this.renderHead();
    this.render();
  }

  private sortHeader(text: string, key: SortKey, attrs: Record<string, string | number> = {}): HTMLElement {
    const th = el("th", { class: "sortable", "data-sort": sortName(key), tabindex: 0, ...attrs, text });
    const choose = () => {
      if (sortName(key) === sortName(this.sort)) this.descending = !this.descending;
      else [this.sort, this.descending] = [key, key.kind !== "feature"];
      this.renderHead();
      this.render();
    };
    th.addEventListener("click", choose);
    th.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        choose();
      }
    });
    if (sortName(key) === sortName(this.sort)) th.setAttribute("aria-sort", this.descending ? "descending" : "ascending");
    return th;
  }

  private renderHead(): void {
    const span = 1 + this.scorers.length;
    fill(
      this.head,
      el(
        "tr",
        {},
        this.sortHeader("feature", { kind: "feature" }, { rowspan: 2 }),
        this.sortHeader("disagreement", { kind: "disagreement" }, { rowspan: 2, "data-tip": DISAGREEMENT_TIP }),
        this.columns.map((c) => el("th", { colspan: span, class: "labeler", "data-column": c.key, title: columnTitle(c), text: c.key })),
      ),
      el(
        "tr",
        {},
        this.columns.flatMap((c) => [
          el("th", { text: "label" }),
          ...this.scorers.map((s) => this.sortHeader(s, { kind: "score", column: c.key, scorer: s }, { "data-column": c.key })),
        ]),
      ),
    );
  }

  private render(): void {
    const shown = sortRows(filterRows(this.rows, this.filter.value), this.sort, this.descending);
    const drawn = this.showAll ? shown : shown.slice(0, MAX_ROWS);
    fill(this.body, drawn.map((row) => this.rowElement(row)));
    const filtered = shown.length === this.rows.length ? "" : ` of ${formatCount(this.rows.length)}`;
    this.caption.textContent = `${formatCount(shown.length)}${filtered} features, by ${sortName(this.sort).replace(/^score:/, "")}${this.descending ? " (highest first)" : ""}`;
    this.more.hidden = drawn.length === shown.length;
    this.more.textContent = `show all ${formatCount(shown.length)} (${formatCount(MAX_ROWS)} shown)`;
    setFlag("labelsSort", `${sortName(this.sort)}:${this.descending ? "desc" : "asc"}`);
    bumpFlag("labelsRendered");
  }

  private rowElement(row: LabelRow): HTMLElement {
    return el(
      "tr",
      { "data-feature": row.feature },
      el("td", {}, link(featureHref(row.feature), `#${row.feature}`)),
      el("td", { class: "num disagreement", "data-value": row.disagreement ?? "", text: row.disagreement === null ? "–" : formatValue(row.disagreement) }),
      this.columns.flatMap((c) => labelCells(row.labels.get(c.key) ?? [], c, this.scorers)),
    );
  }
}

/** A labeler's labels of a feature, one line each, and each label's scores in line with it. */
function labelCells(labels: LabelEntry[], column: LabelColumn, scorers: string[]): HTMLElement[] {
  const texts = el(
    "td",
    { class: "label-cell", "data-column": column.key },
    labels.map((l) =>
      el(
        "div",
        { class: "label-line" },
        el("bdi", { text: l.text }),
        l.author && column.key === "human" ? el("span", { class: "small muted", text: ` · ${l.author}` }) : null,
      ),
    ),
  );
  const scores = scorers.map((s) =>
    el(
      "td",
      { class: "num score", "data-column": column.key, "data-scorer": s },
      labels.map((l) =>
        el("div", { class: "label-line", "data-value": l.scores[s] ?? "", text: s in l.scores ? formatValue(l.scores[s]) : labels.length ? "–" : "" }),
      ),
    ),
  );
  return [texts, ...scores];
}
