// The dictlab feature browser: a static page over the data/ folder written by `dictlab export`
// (format in ../DATA.md). It loads run.json and index.bin, shows the feature list, and routes
// #/feature/ID, #/map, #/fires, #/generate, #/labels and (under `dictlab serve`) #/label. Readiness flags for tests: see ui/flags.ts.

import "./style.css";
import { DataError, fetchBytes } from "./data/fetch";
import { parseIndex } from "./data/featureIndex";
import { ModelClient } from "./data/modelClient";
import { report } from "./data/notices";
import { fallbackRun, loadRun } from "./data/run";
import { SearchIndex } from "./data/search";
import { labelApi } from "./data/labelsApi";
import { FeatureStore, shardFile } from "./data/shards";
import type { FeatureIndex, RunInfo } from "./data/types";
import type { Context } from "./ui/context";
import { el, link, message } from "./ui/dom";
import { showFeature } from "./ui/featurePage";
import { FeatureList } from "./ui/featureList";
import { showFires } from "./ui/firesPage";
import { clearFlag, mark, setFlag } from "./ui/flags";
import { showGenerate } from "./ui/generatePage";
import { showHome } from "./ui/homePage";
import { showLabel } from "./ui/labelPage";
import { showLabels } from "./ui/labelsPage";
import { showMap } from "./ui/mapPage";
import { noticeBar } from "./ui/notices";
import { parseRoute } from "./ui/router";
import { showNotFound } from "./ui/notFound";
import { buildSidebar } from "./ui/sidebar";
import { installTooltips } from "./ui/tooltip";

function problemText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadData(): Promise<{ run: RunInfo; runProblem: string | null; index: FeatureIndex | null } | null> {
  const [runResult, bytesResult] = await Promise.allSettled([loadRun(), fetchBytes("index.bin")]);
  let run: RunInfo | null = runResult.status === "fulfilled" ? runResult.value : null;
  let runProblem: string | null = null;
  let index: FeatureIndex | null = null;
  if (bytesResult.status === "fulfilled") {
    try {
      index = parseIndex(bytesResult.value, run ? run.n_features : null);
    } catch (e) {
      report("data/index.bin", `${problemText(e)}: the map and the list's density and max activation are unavailable.`);
    }
  } else {
    report("data/index.bin", `${problemText(bytesResult.reason)}: the map and the list's density and max activation are unavailable.`);
  }
  if (runResult.status === "rejected") {
    if (!index) {
      report("data/run.json", `${problemText(runResult.reason)}, and without index.bin the number of features is unknown.`);
      return null;
    }
    run = fallbackRun(index.n);
    runProblem = `${problemText(runResult.reason)}: assuming ${index.n} features (from index.bin) in shards of ${run.shard_size}, and no model.`;
    report("data/run.json", runProblem);
  }
  return { run: run!, runProblem, index };
}

function buildContext(
  run: RunInfo,
  runProblem: string | null,
  index: FeatureIndex | null,
  onSearchSettled: () => void,
): Context {
  const store = new FeatureStore(run.n_features, run.shard_size, (error: DataError, shard: number) => {
    const first = shard * run.shard_size;
    const last = Math.min(run.n_features, first + run.shard_size) - 1;
    report(`data/${shardFile(shard)}`, `${error.message}: features ${first}–${last} can't be shown.`);
  });
  let search: Promise<SearchIndex> | null = null;
  let searchLoaded: SearchIndex | null = null;
  const ctx: Context = {
    run,
    runProblem,
    index,
    store,
    model: new ModelClient(run),
    search() {
      if (!search) {
        search = SearchIndex.load(run.n_features).then(
          (s) => {
            searchLoaded = s;
            onSearchSettled();
            return s;
          },
          (e: unknown) => {
            onSearchSettled();
            report("data/search.json", `${problemText(e)}: search by label or token is off, and list labels come from the shards.`);
            throw e;
          },
        );
      }
      return search;
    },
    searchIfLoaded: () => searchLoaded,
    tokensOf: (id: number) => searchLoaded?.tokens(id) ?? null,
    labelOf(id: number) {
      if (searchLoaded) return searchLoaded.label(id);
      const f = store.peek(id);
      if (f) return f.labels[0]?.text ?? null;
      return undefined;
    },
  };
  return ctx;
}

function navLinks(ctx: Context): HTMLElement {
  const items: Array<[string, string, string]> = [
    ["#/", "Features", "home"],
    ["#/map", "Map", "map"],
    ["#/fires", "What fires here", "fires"],
    ["#/generate", "Generate", "generate"],
    ["#/labels", "Labels", "labels"],
  ];
  // Labelling needs `dictlab serve`: the link shows once api/status answers.
  const label = link("#/label", "Label", { "data-route": "label", hidden: true });
  void labelApi().then((api) => {
    label.hidden = !api;
    setFlag("labelApi", api ? "yes" : "no");
  });
  return el(
    "nav",
    { class: "top-nav" },
    items.map(([href, text, name]) =>
      link(href, text, { "data-route": name, class: ctx.model.source === null && (name === "fires" || name === "generate") ? "off" : null }),
    ),
    label,
  );
}

async function main(): Promise<void> {
  installTooltips();
  const root = document.getElementById("app") ?? document.body;
  const title = el("h1", {}, link("#/", "dictlab"), el("span", { class: "subtitle", text: " feature browser" }));
  const header = el("header", { class: "top" }, title);
  const view = el("main", { class: "view", id: "view" }, message("info", "Loading…"));
  const layout = el("div", { class: "layout" }, view);
  root.replaceChildren(header, noticeBar(), layout);

  const data = await loadData();
  if (!data) {
    view.replaceChildren(
      el("h2", { text: "Nothing to show" }),
      message("error", "data/run.json and data/index.bin are both missing or damaged; this folder has no usable export."),
    );
    setFlag("ready", "1");
    mark("list-ready");
    return;
  }
  let refreshLabels = () => {};
  const ctx = buildContext(data.run, data.runProblem, data.index, () => refreshLabels());
  document.title = `${ctx.run.experiment} · dictlab features`;
  // Before the nav and the first page: they show the model pages as off without a model.
  await ctx.model.probe();
  setFlag("modelSource", ctx.model.source ?? "none");
  header.append(el("span", { class: "experiment", dir: "auto", text: ctx.run.experiment }), navLinks(ctx));
  setFlag("model", ctx.model.state.kind);
  ctx.model.onState((state) => setFlag("model", state.kind));

  const list = new FeatureList(ctx, () => {
    setFlag("ready", "1");
    mark("list-ready");
  });
  // The search index, once loaded, names every row.
  refreshLabels = () => list.schedule(false);
  layout.prepend(buildSidebar(ctx, list));

  let generation = 0;
  async function route(): Promise<void> {
    const r = parseRoute(location.hash);
    const mine = ++generation;
    const isCurrent = () => mine === generation;
    setFlag("view", r.name);
    header.querySelectorAll<HTMLAnchorElement>(".top-nav a").forEach((a) => {
      a.classList.toggle("active", a.dataset.route === r.name);
    });
    list.setCurrent(r.name === "feature" && /^\d+$/.test(r.arg) ? Number(r.arg) : null);
    view.scrollTop = 0;
    switch (r.name) {
      case "home":
        showHome(ctx, view);
        break;
      case "feature":
        clearFlag("featureReady");
        clearFlag("featureStatus");
        await showFeature(ctx, view, r.arg, isCurrent);
        break;
      case "map":
        showMap(ctx, view, r.params);
        break;
      case "fires":
        showFires(ctx, view, r.params);
        break;
      case "generate":
        showGenerate(ctx, view);
        break;
      case "label":
        showLabel(ctx, view, r.params, isCurrent);
        break;
      case "labels":
        showLabels(ctx, view, isCurrent);
        break;
      default:
        showNotFound(view, r.path);
    }
  }
  window.addEventListener("hashchange", () => void route());
  await route();
}

void main();
