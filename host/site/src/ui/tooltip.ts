// One floating tooltip for every element with a data-tip attribute (tokens, histogram bars),
// shown at once on hover, unlike the browser's delayed title.

import { el } from "./dom";

let tip: HTMLElement | null = null;

function element(): HTMLElement {
  if (!tip) {
    tip = el("div", { class: "tooltip", role: "tooltip", dir: "auto" });
    tip.hidden = true;
    document.body.appendChild(tip);
  }
  return tip;
}

/** Shows `text` near the point (x, y) in viewport coordinates. */
export function showTip(text: string, x: number, y: number): void {
  const t = element();
  t.textContent = text;
  t.hidden = false;
  const width = t.offsetWidth;
  const height = t.offsetHeight;
  const left = Math.min(window.innerWidth - width - 4, Math.max(4, x + 12));
  const top = y + 16 + height > window.innerHeight ? y - height - 8 : y + 16;
  t.style.left = `${left}px`;
  t.style.top = `${Math.max(4, top)}px`;
}

export function hideTip(): void {
  if (tip) tip.hidden = true;
}

export function installTooltips(): void {
  document.addEventListener("mouseover", (event) => {
    const target = (event.target as Element | null)?.closest?.("[data-tip]") as HTMLElement | SVGElement | null;
    if (!target) return;
    const rect = target.getBoundingClientRect();
    showTip(target.getAttribute("data-tip") ?? "", rect.left, rect.bottom - 12);
  });
  document.addEventListener("mouseout", (event) => {
    const target = (event.target as Element | null)?.closest?.("[data-tip]");
    const to = (event.relatedTarget as Element | null)?.closest?.("[data-tip]");
    if (target && target !== to) hideTip();
  });
  window.addEventListener("hashchange", hideTip);
}
