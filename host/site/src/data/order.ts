// Orders of the feature list: along a Hilbert curve through the 2-D layout (neighbours on the
// map stay neighbours in the list), or by id, density or max activation.

import type { FeatureIndex } from "./types";

export type SortKey = "layout" | "id" | "density" | "max";

const HILBERT_BITS = 16;

/** Distance along a Hilbert curve of the cell (x, y) of a 2^bits square grid. */
export function hilbertIndex(x: number, y: number, bits = HILBERT_BITS): number {
  const n = 1 << bits;
  let d = 0;
  for (let s = n >>> 1; s > 0; s >>>= 1) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      const t = x;
      x = y;
      y = t;
    }
  }
  return d;
}

function cell(v: number, side: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.min(side - 1, Math.max(0, Math.floor(v * side)));
}

/** Feature ids sorted by `key` (density and max activation: highest first); ties keep id order. */
export function sortedIds(index: FeatureIndex | null, n: number, key: SortKey): Uint32Array {
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  if (index === null || key === "id") return ids;
  if (key === "density" || key === "max") {
    const col = key === "density" ? index.density : index.maxActivation;
    const v = (i: number) => (Number.isFinite(col[i]) ? col[i] : -Infinity);
    return ids.sort((a, b) => v(b) - v(a) || a - b);
  }
  // Sort packed (curve index, id) pairs as float64s: exact while below 2^53.
  const side = 1 << HILBERT_BITS;
  const idSpace = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    packed[i] = hilbertIndex(cell(index.x[i], side), cell(index.y[i], side)) * idSpace + i;
  }
  packed.sort();
  for (let i = 0; i < n; i++) ids[i] = packed[i] % idSpace;
  return ids;
}
