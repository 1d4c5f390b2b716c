// The activation histogram: bins evenly spaced over (0, max], drawn as SVG bars coloured like
// the tokens they count. Hovering a bar shows its range and count.

import { el, svg } from "./dom";
import { formatCount, formatValue } from "./format";
import { activationColor } from "./tokens";

const WIDTH = 400;
const HEIGHT = 140;
const AXIS = 18;

export function renderHistogram(histogram: { max: number; counts: number[] }, logScale: boolean): SVGSVGElement {
  const { max, counts } = histogram;
  const bins = counts.length;
  const top = Math.max(1, ...counts);
  const scale = (c: number) => (logScale ? Math.log10(1 + c) / Math.log10(1 + top) : c / top);
  const plotHeight = HEIGHT - AXIS;
  const barWidth = WIDTH / Math.max(1, bins);
  const root = svg("svg", {
    class: "histogram",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": `Activation histogram, ${bins} bins up to ${formatValue(max)}`,
  });
  counts.forEach((count, i) => {
    const h = count > 0 ? Math.max(1, scale(count) * (plotHeight - 4)) : 0;
    const low = (max * i) / bins;
    const high = (max * (i + 1)) / bins;
    const rect = svg("rect", {
      x: (i * barWidth + 0.5).toFixed(2),
      y: (plotHeight - h).toFixed(2),
      width: Math.max(0.5, barWidth - 1).toFixed(2),
      height: h.toFixed(2),
      fill: activationColor(0.35 * max + 0.65 * high, max) || "#ccc",
      class: "bar",
    });
    root.appendChild(rect);
  });
  // Hover targets the full height of each bin, so empty and short bins can be inspected too.
  counts.forEach((count, i) => {
    const low = (max * i) / bins;
    const high = (max * (i + 1)) / bins;
    root.appendChild(
      svg("rect", {
        x: (i * barWidth).toFixed(2),
        y: 0,
        width: barWidth.toFixed(2),
        height: plotHeight,
        class: "bin-hit",
        "data-tip": `${formatValue(low)} – ${formatValue(high)}: ${formatCount(count)} tokens`,
      }),
    );
  });
  root.appendChild(svg("line", { x1: 0, x2: WIDTH, y1: plotHeight, y2: plotHeight, class: "axis" }));
  for (const [x, anchor, text] of [
    [0, "start", "0"],
    [WIDTH / 2, "middle", formatValue(max / 2)],
    [WIDTH, "end", formatValue(max)],
  ] as const) {
    const label = svg("text", { x, y: HEIGHT - 4, "text-anchor": anchor, class: "tick" });
    label.textContent = text;
    root.appendChild(label);
  }
  return root;
}

/** The histogram with a linear / log switch. */
export function histogramBlock(histogram: { max: number; counts: number[] }): HTMLElement {
  const holder = el("div", { class: "histogram-holder" });
  const toggle = el("input", { type: "checkbox", class: "log-toggle" });
  const block = el(
    "section",
    { class: "panel histogram-panel" },
    el("h3", {}, "Activation histogram ", el("label", { class: "small" }, toggle, " log scale")),
    holder,
  );
  if (!histogram.counts.some((c) => c > 0)) {
    holder.appendChild(el("p", { class: "muted", text: "Empty: the feature never fired on the analysed tokens." }));
    toggle.disabled = true;
    return block;
  }
  const draw = () => holder.replaceChildren(renderHistogram(histogram, toggle.checked));
  toggle.addEventListener("change", draw);
  draw();
  return block;
}
