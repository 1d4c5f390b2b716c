// The Labels page's data: reading data/labels.json (DATA.md), merging people's live labels, and
// the arithmetic: columns, word sets and Jaccard similarity (as label_scores counts them),
// disagreement, sorting, filtering, score distributions and agreement between labelers.

import { describe, expect, test } from "vitest";
import { parseLabels, readScores, withLiveLabels } from "../../src/data/labelsFile";
import {
  agreements,
  columnsOf,
  disagreement,
  distribution,
  filterRows,
  jaccard,
  rowsOf,
  scoreDistributions,
  sortRows,
  wordSet,
} from "../../src/data/labelStats";

// What `dictlab export` writes (host/src/site_export.cc, write_labels).
const exported = {
  format: "dictlab.labels/1",
  scorers: ["detection", "embedding", "simulation"],
  features: [
    {
      feature: 7,
      labels: [
        { labeler_stage: "labels_llm", labeler: "llm", author: "m", text: "Arabic script", rubric: null, scores: { detection: 0.8, embedding: 0.9 } },
        { labeler_stage: "labels_baseline", labeler: "baseline", author: "baseline", text: "the token \"ب\"", rubric: null, scores: { detection: 0.6 } },
        { labeler_stage: null, labeler: "human", author: "ada", text: "arabic SCRIPT", rubric: 3, scores: { detection: 0.7, simulation: -0.2 } },
      ],
    },
    {
      feature: 2,
      labels: [
        { labeler_stage: "labels_llm", labeler: "llm", author: "m", text: "numbers", rubric: null, scores: {} },
        { labeler_stage: "labels_baseline", labeler: "baseline", author: "baseline", text: "digits and numbers", rubric: null, scores: { detection: 0.4 } },
      ],
    },
    { feature: 40, labels: [{ labeler_stage: "labels_baseline", labeler: "baseline", author: "baseline", text: "never fires", rubric: null, scores: {} }] },
  ],
};

describe("labels.json", () => {
  test("is read as written, sorted by feature", () => {
    const data = parseLabels(exported);
    expect(data.features.map((f) => f.feature)).toEqual([2, 7, 40]);
    expect(data.scorers).toEqual(["detection", "embedding", "simulation"]);
    expect(data.features[1].labels[2]).toEqual({
      labeler_stage: null, labeler: "human", author: "ada", text: "arabic SCRIPT", rubric: 3, scores: { detection: 0.7, simulation: -0.2 },
    });
  });

  test("a file that is not labels.json says so; odd labels are left out", () => {
    expect(() => parseLabels([])).toThrow(/labels\.json/);
    expect(() => parseLabels({ features: [{ labels: [] }] })).toThrow(/feature id/);
    const data = parseLabels({ features: [{ feature: 1, labels: [{ text: 3 }, { labeler: "llm", text: "ok", scores: { x: "high", y: 0.5 } }] }] });
    expect(data.features[0].labels.map((l) => [l.text, l.scores])).toEqual([["ok", { y: 0.5 }]]);
    expect(data.scorers).toEqual(["y"]);
  });

  test("an older export's one score is read as its scorer's", () => {
    expect(readScores({ score: 0.4, score_kind: "detection" })).toEqual({ detection: 0.4 });
    expect(readScores({ score: null, score_kind: null })).toEqual({});
  });

  test("people's live labels replace the exported ones, keeping the scores of the same text", () => {
    const live = [
      { feature: 7, labeler: "human", author: "ada", text: "arabic SCRIPT", rubric: 4, created_at: "" },
      { feature: 7, labeler: "human", author: "bo", text: "Arabic letters", rubric: null, created_at: "" },
      { feature: 99, labeler: "human", author: "bo", text: "new since the export", rubric: null, created_at: "" },
    ];
    const data = withLiveLabels(parseLabels(exported), live);
    expect(data.features.map((f) => f.feature)).toEqual([2, 7, 40, 99]);
    const humans = data.features[1].labels.filter((l) => l.labeler === "human");
    expect(humans.map((l) => [l.author, l.rubric, l.scores])).toEqual([
      ["ada", 4, { detection: 0.7, simulation: -0.2 }],
      ["bo", null, {}],
    ]);
    expect(withLiveLabels(parseLabels(exported), []).features[1].labels.some((l) => l.labeler === "human")).toBe(false);
  });
});

describe("label arithmetic", () => {
  const data = parseLabels(exported);
  const rows = rowsOf(data);

  test("columns come from the data: people, then LLM stages, then the rest", () => {
    expect(columnsOf(data).map((c) => [c.key, c.labeler, c.stage])).toEqual([
      ["human", "human", null],
      ["labels_llm", "llm", "labels_llm"],
      ["labels_baseline", "baseline", "labels_baseline"],
    ]);
  });

  test("words and Jaccard similarity as label_scores counts them", () => {
    expect([...wordSet("The token \"ب\", 3rd—TIME!")]).toEqual(["the", "token", "ب", "3rd—time"]);
    expect(jaccard("Arabic script", "arabic SCRIPT")).toBe(1);
    expect(jaccard("numbers", "digits and numbers")).toBeCloseTo(1 / 3);
    expect(jaccard("", "...")).toBe(1);
    expect(jaccard("a", "")).toBe(0);
  });

  test("disagreement: person against LLM when both, else every pair, else none", () => {
    expect(disagreement(data.features[1].labels)).toBe(0); // ada and the LLM use the same words; the baseline is not counted
    expect(disagreement(data.features[0].labels)).toBeCloseTo(2 / 3);
    expect(disagreement(data.features[2].labels)).toBeNull();
  });

  test("sorting: by disagreement either way, rows without a value last; by a score; by feature", () => {
    const ids = (key: Parameters<typeof sortRows>[1], descending: boolean) => sortRows(rows, key, descending).map((r) => r.feature);
    expect(ids({ kind: "disagreement" }, true)).toEqual([2, 7, 40]);
    expect(ids({ kind: "disagreement" }, false)).toEqual([7, 2, 40]);
    expect(ids({ kind: "score", column: "labels_baseline", scorer: "detection" }, true)).toEqual([7, 2, 40]);
    expect(ids({ kind: "score", column: "labels_llm", scorer: "detection" }, false)).toEqual([7, 2, 40]);
    expect(ids({ kind: "feature" }, true)).toEqual([40, 7, 2]);
  });

  test("filtering by label text, author or feature id", () => {
    expect(filterRows(rows, "ARABIC").map((r) => r.feature)).toEqual([7]);
    expect(filterRows(rows, "ada").map((r) => r.feature)).toEqual([7]);
    expect(filterRows(rows, "#40").map((r) => r.feature)).toEqual([40]);
    expect(filterRows(rows, "  ").length).toBe(3);
  });

  test("a distribution: count, mean ± standard error, histogram over [0, 1] or [-1, 1]", () => {
    const d = distribution([0.2, 0.4, 0.6, 1]);
    expect(d.count).toBe(4);
    expect(d.mean).toBeCloseTo(0.55);
    expect(d.stderr).toBeCloseTo(Math.sqrt(0.35 / 3 / 4)); // squared deviations from 0.55 sum to 0.35
    expect([d.low, d.high]).toEqual([0, 1]);
    expect(d.bins).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0, 1]);
    const s = distribution([-0.5, 0.5], 4);
    expect([s.low, s.high, s.bins]).toEqual([-1, 1, [0, 1, 0, 1]]);
    expect(distribution([]).mean).toBeNull();
    expect(distribution([0.3]).stderr).toBeNull();
  });

  test("per labeler and scorer, the scores of its labels", () => {
    const d = scoreDistributions(data, columnsOf(data));
    expect(d.get("labels_baseline")!.get("detection")!.count).toBe(2);
    expect(d.get("labels_baseline")!.get("detection")!.mean).toBeCloseTo(0.5);
    expect(d.get("human")!.get("simulation")!.mean).toBe(-0.2);
    expect(d.get("labels_llm")!.get("simulation")!.count).toBe(0);
  });

  test("agreement: features both labelled, mean Jaccard similarity", () => {
    const a = agreements(rows, columnsOf(data));
    expect(a.map((p) => [p.a, p.b, p.features])).toEqual([
      ["human", "labels_llm", 1],
      ["human", "labels_baseline", 1],
      ["labels_llm", "labels_baseline", 2],
    ]);
    expect(a[0].similarity).toBe(1);
    expect(a[2].similarity).toBeCloseTo((0 + 1 / 3) / 2);
  });
});
