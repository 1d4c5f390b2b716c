// Tokens with their background coloured by activation, as in the paper's visualizer.
// Each token is a <span class="tok">; hovering shows its value (see tooltip.ts).

import { el } from "./dom";
import { formatValue, showToken } from "./format";

/** Orange with opacity proportional to value / max (0 and below: no colour). */
export function activationColor(value: number, max: number): string {
  if (!(value > 0) || !(max > 0)) return "";
  const a = Math.min(1, value / max);
  return `rgba(255, 136, 0, ${(0.12 + 0.83 * a).toFixed(3)})`;
}

export interface TokenOptions {
  activations?: ArrayLike<number> | null; // per token; null: no colour
  max?: number; // the value shown as full colour
  focus?: number | null; // index of the marked token
  tip?: (index: number) => string; // hover text; defaults to the token and its activation
}

export function tokenSpan(token: string, value: number | null, max: number, tip: string): HTMLSpanElement {
  const span = el("span", { class: "tok", "data-tip": tip });
  span.textContent = showToken(token);
  if (token === "") span.classList.add("empty");
  if (value !== null) {
    span.dataset.act = String(value);
    const colour = activationColor(value, max);
    if (colour) {
      span.style.backgroundColor = colour;
      span.classList.add("lit");
    }
  }
  return span;
}

/** A run of tokens in one line box; dir="auto" so a right-to-left text reads right to left. */
export function renderTokens(tokens: string[], options: TokenOptions = {}): HTMLElement {
  const { activations = null, max = 1, focus = null } = options;
  const line = el("span", { class: "tokens", dir: "auto" });
  tokens.forEach((token, i) => {
    const value = activations ? Number(activations[i] ?? 0) : null;
    const tip = options.tip
      ? options.tip(i)
      : value === null
        ? JSON.stringify(token)
        : `${JSON.stringify(token)}  activation ${formatValue(value, 3)}`;
    const span = tokenSpan(token, value, max, tip);
    if (i === focus) span.classList.add("focus");
    line.appendChild(span);
  });
  return line;
}

/** Re-colours token spans made by renderTokens (e.g. when another feature is chosen). */
export function recolour(line: HTMLElement, activations: ArrayLike<number> | null, max: number): void {
  const spans = line.querySelectorAll<HTMLSpanElement>("span.tok");
  spans.forEach((span, i) => {
    const value = activations ? Number(activations[i] ?? 0) : 0;
    const colour = activations ? activationColor(value, max) : "";
    span.style.backgroundColor = colour;
    span.classList.toggle("lit", colour !== "");
    if (activations) span.dataset.act = String(value);
    else delete span.dataset.act;
  });
}
