// "What fires here": type text, see its tokens; click a token to list the features active there;
// choose a feature to colour every token by its activation.

import type { TokenFeatures } from "../model/api";
import type { Context } from "./context";
import { el, featureHref, link, message } from "./dom";
import { bumpFlag } from "./flags";
import { formatValue } from "./format";
import { modelStatusLine, modelUsable } from "./modelStatus";
import { recolour, renderTokens } from "./tokens";

const INPUT_DELAY_MS = 250;
const TOP_N = 512; // per token; more than any dictionary's usual L0
const LIST_FIRST = 40; // features listed for a token before "show all"
const CHARS_PER_TOKEN_BOUND = 32; // text beyond contextLength * this is cut before tokenizing

let keptText = "The cat sat on the mat. 😀 مرحبا بالعالم — שלום עולם, café, naïve.";

export function showFires(ctx: Context, view: HTMLElement, params: URLSearchParams): void {
  const input = el("textarea", {
    class: "fires-input",
    rows: 4,
    dir: "auto",
    "aria-label": "Text to analyse",
    placeholder: "Type or paste text",
    spellcheck: "false",
  });
  input.value = params.get("text") ?? keptText;
  const featureInput = el("input", {
    type: "number",
    min: 0,
    max: ctx.run.n_features - 1,
    class: "feature-choice",
    "aria-label": "Feature to highlight",
    placeholder: "feature id",
  });
  const clear = el("button", { type: "button", class: "link-button", text: "clear" });
  const note = el("div", { class: "fires-note", "aria-live": "polite" });
  const tokensBox = el("div", { class: "fires-tokens" });
  const detail = el("div", { class: "fires-detail" });
  const legend = el("span", { class: "muted small" });
  view.replaceChildren(
    el("h2", { text: "What fires here" }),
    modelStatusLine(ctx.model),
    input,
    el("div", { class: "fires-controls" }, el("label", {}, "Highlight feature ", featureInput), " ", clear, " ", legend),
    note,
    tokensBox,
    detail,
  );
  if (!modelUsable(ctx.model)) {
    input.disabled = true;
    featureInput.disabled = true;
    bumpFlag("firesReady");
    return;
  }

  let result: TokenFeatures[] = [];
  let line: HTMLElement | null = null;
  let selected: number | null = null;
  let showAll = false;
  let chosen: number | null = null;
  let sequence = 0;
  let timer = 0;

  function activationsOf(feature: number): Float32Array {
    const acts = new Float32Array(result.length);
    result.forEach((t, i) => {
      for (const [f, a] of t.features) {
        if (f === feature) {
          acts[i] = a;
          break;
        }
      }
    });
    return acts;
  }

  function applyColour(): void {
    if (!line) return;
    if (chosen === null) {
      recolour(line, null, 1);
      legend.textContent = "";
      return;
    }
    const acts = activationsOf(chosen);
    let max = ctx.index ? ctx.index.maxActivation[chosen] : 0;
    if (!(max > 0)) max = Math.max(0, ...acts);
    recolour(line, acts, max || 1);
    const hits = acts.filter((a) => a > 0).length;
    legend.replaceChildren(
      "colour: activation of ",
      link(featureHref(chosen), `#${chosen}`),
      ` (full colour at ${formatValue(max)}); active on ${hits} of ${acts.length} tokens`,
    );
    line.querySelectorAll<HTMLElement>("span.tok").forEach((span, i) => {
      span.dataset.tip = `${JSON.stringify(result[i].token)}  #${chosen}: ${formatValue(acts[i], 3)}`;
    });
  }

  function choose(feature: number | null): void {
    chosen = feature;
    featureInput.value = feature === null ? "" : String(feature);
    applyColour();
  }

  function showDetail(): void {
    if (selected === null || !result[selected]) {
      detail.replaceChildren(el("p", { class: "muted", text: "Click a token to list the features active there." }));
      return;
    }
    const t = result[selected];
    const list = el("ol", { class: "active-features" });
    const shown = showAll ? t.features : t.features.slice(0, LIST_FIRST);
    for (const [f, a] of shown) {
      const label = ctx.labelOf(f) ?? ctx.tokensOf(f);
      const use = el("button", { type: "button", class: "link-button", text: "highlight" });
      use.addEventListener("click", () => choose(f));
      list.appendChild(
        el(
          "li",
          { "data-id": f },
          link(featureHref(f), `#${f}`, { class: "feature-link" }),
          el("bdi", { class: "active-label", text: typeof label === "string" ? label : "" }),
          el("span", { class: "active-value", text: formatValue(a, 3) }),
          use,
        ),
      );
    }
    detail.replaceChildren(
      el(
        "h3",
        {},
        "Features active at ",
        el("bdi", { class: "tok-name", text: JSON.stringify(t.token) }),
        ` (token ${selected + 1}): ${t.features.length}`,
      ),
      t.features.length ? list : el("p", { class: "muted", text: "None." }),
    );
    if (shown.length < t.features.length) {
      const more = el("button", { type: "button", class: "link-button", text: `show all ${t.features.length}` });
      more.addEventListener("click", () => {
        showAll = true;
        showDetail();
      });
      detail.appendChild(more);
    }
  }

  function render(truncated: boolean, cutChars: boolean): void {
    line = renderTokens(
      result.map((t) => t.token),
      { tip: (i) => `${JSON.stringify(result[i].token)}  ${result[i].features.length} features active` },
    );
    line.classList.add("clickable");
    line.addEventListener("click", (event) => {
      const span = (event.target as Element).closest("span.tok");
      if (!span || !line) return;
      const spans = [...line.querySelectorAll("span.tok")];
      selected = spans.indexOf(span);
      showAll = false;
      spans.forEach((s, i) => s.classList.toggle("selected", i === selected));
      showDetail();
    });
    tokensBox.replaceChildren(line);
    const state = ctx.model.state;
    const context = state.kind === "ready" ? state.contextLength : null;
    note.replaceChildren();
    if (truncated || cutChars) {
      note.appendChild(
        message(
          "warn",
          `The text is longer than the model's context${context ? ` of ${context} tokens` : ""}: it was cut, and only its last ${result.length} tokens are shown.`,
          { "data-problem": "truncated" },
        ),
      );
    }
    if (selected !== null && selected >= result.length) selected = null;
    showDetail();
    applyColour();
  }

  async function analyse(): Promise<void> {
    const seq = ++sequence;
    let text = input.value;
    keptText = text;
    const state = ctx.model.state;
    const bound = (state.kind === "ready" ? state.contextLength : 1024) * CHARS_PER_TOKEN_BOUND;
    let cutChars = false;
    if (text.length > bound) {
      // Keep the end, as the model does; do not split a surrogate pair.
      let start = text.length - bound;
      if (/[\uDC00-\uDFFF]/.test(text[start])) start++;
      text = text.slice(start);
      cutChars = true;
    }
    if (!result.length) tokensBox.replaceChildren(el("p", { class: "muted", text: "Running the model…" }));
    try {
      const r = await ctx.model.features(text, TOP_N);
      if (seq !== sequence) return;
      result = r.tokens;
      render(r.truncated, cutChars);
    } catch (e) {
      if (seq !== sequence) return;
      result = [];
      line = null;
      tokensBox.replaceChildren(message("error", (e as Error).message));
      detail.replaceChildren();
    }
    bumpFlag("firesReady");
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void analyse(), INPUT_DELAY_MS);
  });
  featureInput.addEventListener("change", () => {
    const f = Number(featureInput.value);
    choose(featureInput.value !== "" && Number.isInteger(f) && f >= 0 && f < ctx.run.n_features ? f : null);
  });
  clear.addEventListener("click", () => choose(null));
  const initial = Number(params.get("feature"));
  if (params.has("feature") && Number.isInteger(initial) && initial >= 0 && initial < ctx.run.n_features) {
    chosen = initial;
    featureInput.value = String(initial);
  }
  // Labels for the feature lists come from search.json (a failure is reported once, at the top).
  ctx.search().then(
    () => {
      if (detail.isConnected) showDetail();
    },
    () => {},
  );
  void analyse();
}
