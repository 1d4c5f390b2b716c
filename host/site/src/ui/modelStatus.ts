// A line saying what state the in-browser model is in, kept up to date; model pages put it on top.

import type { ModelClient, ModelState } from "../data/modelClient";
import { el } from "./dom";

export function describeModel(state: ModelState): { kind: "info" | "warn" | "error"; text: string } {
  switch (state.kind) {
    case "none":
      return { kind: "warn", text: state.message };
    case "idle":
      return { kind: "info", text: "The model loads when you first use it." };
    case "loading":
      return { kind: "info", text: "Loading the model…" };
    case "ready":
      return {
        kind: "info",
        text:
          `Model ready: vocabulary ${state.vocabSize}, context ${state.contextLength} tokens` +
          (state.dSae === null ? ", no dictionary." : `, ${state.dSae} features.`),
      };
    case "error":
      return { kind: "error", text: state.message };
  }
}

/** Which model the page uses, in words, for the model pages' status line. */
export function describeSource(model: ModelClient): string {
  const served = model.served;
  if (model.source === "server" && served) {
    return `Uses the model of dictlab serve: ${served.model} (${served.plugin}), dictionary ${served.dictionary} at ${served.hook}.`;
  }
  return model.source === "page" ? "Uses the model exported with this site, running in this page." : "";
}

export function modelStatusLine(model: ModelClient): HTMLElement {
  const line = el("p", { class: "message model-status", "aria-live": "polite" });
  const update = (state: ModelState) => {
    if (!line.isConnected && line.dataset.shown) return;
    const { kind, text } = describeModel(state);
    line.className = `message model-status ${kind}`;
    line.dataset.state = state.kind;
    line.dataset.source = model.source ?? "none";
    const extra = model.featuresProblem;
    const source = state.kind === "none" ? "" : describeSource(model);
    line.textContent = [source, text, extra].filter(Boolean).join(" ");
    line.dataset.shown = "1";
  };
  model.onState(update);
  update(model.state);
  return line;
}

/** True when the model can be asked (not absent, not failed). */
export function modelUsable(model: ModelClient): boolean {
  return model.state.kind !== "none" && model.state.kind !== "error";
}
