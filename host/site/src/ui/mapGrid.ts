// A bucket grid over the layout's unit square, to find the feature nearest to a point quickly.

import type { FeatureIndex } from "../data/types";

const SIDE = 128;

export class PointGrid {
  private start: Uint32Array; // cell c holds items[start[c] .. start[c+1])
  private items: Uint32Array;

  constructor(private index: FeatureIndex) {
    const counts = new Uint32Array(SIDE * SIDE + 1);
    const cells = new Uint32Array(index.n);
    for (let i = 0; i < index.n; i++) {
      cells[i] = this.cell(index.x[i], index.y[i]);
      counts[cells[i] + 1]++;
    }
    for (let c = 0; c < SIDE * SIDE; c++) counts[c + 1] += counts[c];
    this.start = counts.slice();
    const fill = counts.slice();
    this.items = new Uint32Array(index.n);
    for (let i = 0; i < index.n; i++) this.items[fill[cells[i]]++] = i;
  }

  private static coord(v: number): number {
    return Number.isFinite(v) ? Math.min(SIDE - 1, Math.max(0, Math.floor(v * SIDE))) : 0;
  }

  private cell(x: number, y: number): number {
    return PointGrid.coord(y) * SIDE + PointGrid.coord(x);
  }

  /** The feature nearest to (x, y) within `radius` (layout units), or null. */
  nearest(x: number, y: number, radius: number): number | null {
    const { index } = this;
    const x0 = PointGrid.coord(x - radius);
    const x1 = PointGrid.coord(x + radius);
    const y0 = PointGrid.coord(y - radius);
    const y1 = PointGrid.coord(y + radius);
    let best: number | null = null;
    let bestD = radius * radius;
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const c = cy * SIDE + cx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const i = this.items[k];
          const dx = index.x[i] - x;
          const dy = index.y[i] - y;
          const d = dx * dx + dy * dy;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}
