// The 2-D map of all features (index.bin's x, y), coloured by density or max activation.
// Hover shows a feature's id and label, click opens it; the wheel zooms, dragging pans,
// double-click resets. The canvas's data-view="x0 y0 span" says which square of the layout
// it shows (screen x = (x - x0) / span * width), for tests.

import type { FeatureIndex } from "../data/types";
import { gradientCss, LUT } from "./colormap";
import type { Context } from "./context";
import { el, featureHref, message } from "./dom";
import { bumpFlag } from "./flags";
import { formatDensity, formatValue } from "./format";
import { PointGrid } from "./mapGrid";
import { hideTip, showTip } from "./tooltip";

type ColourBy = "density" | "max";
const HOVER_PX = 8;
const grids = new WeakMap<FeatureIndex, PointGrid>();

function scale(index: FeatureIndex, by: ColourBy): { t: Float32Array; low: number; high: number; log: boolean } {
  const col = by === "density" ? index.density : index.maxActivation;
  const log = by === "density";
  let low = Infinity;
  let high = -Infinity;
  const f = (v: number) => (log ? Math.log10(v) : v);
  for (let i = 0; i < index.n; i++) {
    const v = col[i];
    if (!(v > 0) || !Number.isFinite(v)) continue;
    low = Math.min(low, f(v));
    high = Math.max(high, f(v));
  }
  if (!Number.isFinite(low)) {
    low = 0;
    high = 1;
  }
  const t = new Float32Array(index.n);
  const range = high - low || 1;
  for (let i = 0; i < index.n; i++) {
    const v = col[i];
    t[i] = v > 0 && Number.isFinite(v) ? (f(v) - low) / range : -1; // -1: never active
  }
  return { t, low, high, log };
}

export function showMap(ctx: Context, view: HTMLElement, params: URLSearchParams): void {
  const index = ctx.index;
  if (!index) {
    view.replaceChildren(
      el("h2", { text: "Map" }),
      message("error", "The map needs data/index.bin, which is missing or damaged (see the message at the top)."),
    );
    bumpFlag("mapReady");
    return;
  }
  let grid = grids.get(index);
  if (!grid) {
    grid = new PointGrid(index);
    grids.set(index, grid);
  }
  const chosen = Number(params.get("feature"));
  const highlight = params.has("feature") && Number.isInteger(chosen) && chosen >= 0 && chosen < index.n ? chosen : null;
  // Labels for the hover text: fetch search.json in the background (a failure is reported once).
  ctx.search().catch(() => {});

  const canvas = el("canvas", { class: "map-canvas", "aria-label": "Map of all features" });
  const holder = el("div", { class: "map-holder" }, canvas);
  const colourBy = el(
    "select",
    { "aria-label": "Colour by" },
    el("option", { value: "density", text: "colour: density (log)" }),
    el("option", { value: "max", text: "colour: max activation" }),
  );
  const legend = el("div", { class: "legend" });
  view.replaceChildren(
    el(
      "header",
      { class: "map-header" },
      el("h2", { text: "Map of features" }),
      colourBy,
      legend,
      el("span", { class: "muted small", text: "click: open · wheel: zoom · drag: pan · double-click: reset" }),
    ),
    holder,
  );

  let colours = scale(index, "density");
  let x0 = -0.02;
  let y0 = -0.02;
  let span = 1.04;
  let size = 0;

  function drawLegend(): void {
    const fmt = (v: number) => (colours.log ? formatDensity(10 ** v) : formatValue(v, 1));
    legend.replaceChildren(
      el("span", { text: fmt(colours.low) }),
      el("span", { class: "legend-bar", style: `background: ${gradientCss()}` }),
      el("span", { text: fmt(colours.high) }),
      el("span", { class: "legend-dead", style: "background: #c8c8c8" }),
      el("span", { text: "never active" }),
    );
  }

  function draw(): void {
    const rect = holder.getBoundingClientRect();
    size = Math.max(200, Math.floor(Math.min(rect.width, window.innerHeight - rect.top - 16)));
    const dpr = window.devicePixelRatio || 1;
    const px = Math.floor(size * dpr);
    canvas.width = px;
    canvas.height = px;
    canvas.style.width = `${size}px`;
    canvas.style.height = `${size}px`;
    canvas.dataset.view = `${x0} ${y0} ${span}`;
    const g = canvas.getContext("2d");
    if (!g) return;
    const image = g.createImageData(px, px);
    const data = image.data;
    data.fill(255);
    const r = Math.max(1, Math.round(dpr * (index!.n > 20000 ? 1 : 1.5)));
    const k = px / span;
    for (let i = 0; i < index!.n; i++) {
      const cx = Math.floor((index!.x[i] - x0) * k);
      const cy = Math.floor((index!.y[i] - y0) * k);
      if (cx < -r || cy < -r || cx >= px + r || cy >= px + r) continue;
      const t = colours.t[i];
      let red = 200;
      let green = 200;
      let blue = 200;
      if (t >= 0) {
        const j = Math.round(t * 255) * 3;
        red = LUT[j];
        green = LUT[j + 1];
        blue = LUT[j + 2];
      }
      for (let yy = Math.max(0, cy - r + 1); yy < Math.min(px, cy + r); yy++) {
        let o = (yy * px + Math.max(0, cx - r + 1)) * 4;
        for (let xx = Math.max(0, cx - r + 1); xx < Math.min(px, cx + r); xx++, o += 4) {
          data[o] = red;
          data[o + 1] = green;
          data[o + 2] = blue;
        }
      }
    }
    g.putImageData(image, 0, 0);
    if (highlight !== null) {
      const hx = ((index!.x[highlight] - x0) / span) * px;
      const hy = ((index!.y[highlight] - y0) / span) * px;
      g.strokeStyle = "#d62728";
      g.lineWidth = 2 * dpr;
      g.beginPath();
      g.arc(hx, hy, 9 * dpr, 0, Math.PI * 2);
      g.stroke();
    }
    bumpFlag("mapReady");
  }

  function layoutPoint(event: MouseEvent): [number, number] {
    const rect = canvas.getBoundingClientRect();
    return [x0 + ((event.clientX - rect.left) / rect.width) * span, y0 + ((event.clientY - rect.top) / rect.height) * span];
  }

  function pick(event: MouseEvent): number | null {
    const [x, y] = layoutPoint(event);
    return grid!.nearest(x, y, (HOVER_PX / Math.max(1, size)) * span);
  }

  let drag: { x: number; y: number; moved: boolean } | null = null;
  canvas.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  window.addEventListener("mouseup", () => {
    setTimeout(() => (drag = null), 0);
  });
  canvas.addEventListener("mousemove", (event) => {
    if (drag && (event.buttons & 1) === 1) {
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (drag.moved || Math.abs(dx) + Math.abs(dy) > 4) {
        drag.moved = true;
        x0 -= (dx / size) * span;
        y0 -= (dy / size) * span;
        drag.x = event.clientX;
        drag.y = event.clientY;
        hideTip();
        draw();
        return;
      }
    }
    const id = pick(event);
    if (id === null) {
      hideTip();
      canvas.style.cursor = "default";
      return;
    }
    canvas.style.cursor = "pointer";
    const label = ctx.labelOf(id);
    const tokens = typeof label === "string" ? null : ctx.tokensOf(id);
    const text = `#${id}${typeof label === "string" ? ` ${label}` : ""}${tokens ? `\ntokens: ${tokens}` : ""}\ndensity ${formatDensity(index.density[id])} · max ${formatValue(index.maxActivation[id])}`;
    showTip(text, event.clientX, event.clientY);
  });
  canvas.addEventListener("mouseleave", hideTip);
  canvas.addEventListener("click", (event) => {
    if (drag?.moved) return;
    const id = pick(event);
    if (id !== null) location.hash = featureHref(id);
  });
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const [x, y] = layoutPoint(event);
      const factor = Math.exp(Math.sign(event.deltaY) * 0.15);
      const next = Math.min(1.04, Math.max(0.002, span * factor));
      x0 = x - ((x - x0) * next) / span;
      y0 = y - ((y - y0) * next) / span;
      span = next;
      draw();
    },
    { passive: false },
  );
  canvas.addEventListener("dblclick", () => {
    x0 = -0.02;
    y0 = -0.02;
    span = 1.04;
    draw();
  });
  colourBy.addEventListener("change", () => {
    colours = scale(index, colourBy.value as ColourBy);
    drawLegend();
    draw();
  });

  drawLegend();
  let lastWidth = -1;
  const observer = new ResizeObserver(() => {
    if (!canvas.isConnected) {
      observer.disconnect();
      return;
    }
    const width = holder.clientWidth;
    if (width !== lastWidth) {
      lastWidth = width;
      draw();
    }
  });
  observer.observe(holder);
}
