// The start page: what was exported and where to go from here.

import { NEEDS_SERVE } from "../data/modelClient";
import type { Context } from "./context";
import { el, fill, link, message } from "./dom";
import { formatCount } from "./format";

export function showHome(ctx: Context, view: HTMLElement): void {
  const run = ctx.run;
  const rows: Array<[string, string]> = [
    ["experiment", run.experiment],
    ["features", formatCount(run.n_features)],
    ["tokens analysed", run.tokens_analysed === null ? "–" : formatCount(run.tokens_analysed)],
    ["stages", [run.model_stage, run.dictionary_stage, run.analysis_stage].filter(Boolean).join(" → ") || "–"],
    ["model in the page", run.model === null ? "not exported" : run.sae === null ? "model only (no dictionary)" : "model and dictionary"],
  ];
  const served = ctx.model.served;
  if (served) rows.push(["model of dictlab serve", `${served.model} (${served.plugin}), dictionary at ${served.hook}`]);
  const withModel = ctx.model.source !== null;
  fill(view, 
    el("h2", { text: "Feature browser" }),
    ctx.runProblem ? message("warn", ctx.runProblem) : null,
    ctx.model.source === null && run.model === null ? message("info", NEEDS_SERVE) : null,
    el(
      "dl",
      { class: "run-summary" },
      rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { dir: "auto", text: v })]),
    ),
    el(
      "p",
      {},
      "Pick a feature from the list, search labels or tokens, type an id, or open the ",
      link("#/map", "map"),
      ".",
      withModel ? " With the model: " : null,
      withModel ? link("#/fires", "what fires here") : null,
      withModel ? ", " : null,
      withModel ? link("#/generate", "generate") : null,
      withModel ? "." : null,
      " Compare the labelers on the ",
      link("#/labels", "labels"),
      " page.",
    ),
  );
}
