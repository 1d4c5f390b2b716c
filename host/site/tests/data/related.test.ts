// Reading a feature's "related" field (DATA.md) and grouping it for the feature page: what the
// exporter writes, older exports without it, malformed entries and links that would leave the site.

import { describe, expect, test } from "vitest";
import { readRelated, relatedGroups, safeHref } from "../../src/data/related";

// What `dictlab export` writes for a feature of sae (see host/src/related_features.cc).
const exported = {
  twins: [
    { dictionary: "sae_b", model: "model_b", feature: 1234, correlation: 0.91, direction: "best_match", href: "../features_b/#/feature/1234", source: "twins" },
    { dictionary: "sae_b", model: "model_b", feature: 7, correlation: 0.5, direction: "best_match_of", href: "../features_b/#/feature/7", source: "twins" },
  ],
  parents: [{ dictionary: "sae_small", model: "model", feature: 17, correlation: 0.83, cosine: 0.77, href: null, source: "split" }],
  children: [
    { dictionary: "sae_big", model: "model", feature: 5, correlation: 0.8, cosine: 0.7, href: "../features_big/#/feature/5", source: "split" },
    { dictionary: "sae_big", model: "model", feature: 9, correlation: 0.6, cosine: 0.5, href: "../features_big/#/feature/9", source: "split" },
  ],
  more_children: { sae_big: 3 },
};

describe("related features", () => {
  test("the exporter's shape is read as written", () => {
    const r = readRelated(exported)!;
    expect(r.twins.map((t) => [t.feature, t.direction, t.href])).toEqual([
      [1234, "best_match", "../features_b/#/feature/1234"],
      [7, "best_match_of", "../features_b/#/feature/7"],
    ]);
    expect(r.parents[0]).toEqual({
      dictionary: "sae_small", model: "model", feature: 17, correlation: 0.83, cosine: 0.77, direction: null, href: null, source: "split",
    });
    expect(r.children.map((c) => c.feature)).toEqual([5, 9]);
    expect(r.more_children).toEqual({ sae_big: 3 });
    expect(r.more_twins).toEqual({});
  });

  test("groups: twin, parent, children (with the count left out), then the features matched to this one", () => {
    const groups = relatedGroups(readRelated(exported)!);
    expect(groups.map((g) => [g.kind, g.dictionary, g.features.map((f) => f.feature), g.more])).toEqual([
      ["twin", "sae_b", [1234], 0],
      ["parent", "sae_small", [17], 0],
      ["children", "sae_big", [5, 9], 3],
      ["matched", "sae_b", [7], 0],
    ]);
    expect(groups[0].model).toBe("model_b");
  });

  test("absent, empty or unreadable: nothing to show", () => {
    for (const raw of [undefined, null, 3, "x", [], {}, { twins: [], parents: [], children: [] }, { twins: [{ feature: 1 }] }]) {
      expect(readRelated(raw), JSON.stringify(raw)).toBeNull();
    }
  });

  test("malformed entries are dropped, the rest kept", () => {
    const r = readRelated({
      twins: [{ dictionary: "b", feature: -1 }, { dictionary: "b", feature: 1.5 }, { dictionary: "", feature: 2 }, "x", { dictionary: "b", feature: 3, correlation: "high" }],
      children: { not: "a list" },
      more_children: { b: -2, c: "many", d: 4 },
    })!;
    expect(r.twins).toHaveLength(1);
    expect(r.twins[0]).toMatchObject({ dictionary: "b", feature: 3, correlation: null, model: null, direction: null, href: null });
    expect(r.children).toEqual([]);
    expect(r.more_children).toEqual({ d: 4 });
  });

  test("only links that stay on the site's server are kept", () => {
    expect(safeHref("../features_b/#/feature/3")).toBe("../features_b/#/feature/3");
    expect(safeHref("#/feature/3")).toBe("#/feature/3");
    for (const bad of ["javascript:alert(1)", "https://example.com/", "//example.com/x", "data:text/html,hi", "", 3, null]) {
      expect(safeHref(bad), String(bad)).toBeNull();
    }
  });
});
