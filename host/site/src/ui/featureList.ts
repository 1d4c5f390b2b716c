// The feature list with virtual scrolling: only the rows in view (plus a margin) exist in the DOM,
// so 131072 features scroll like 30. Labels come from search.json when it is loaded, otherwise
// from the shards of the rows in view, fetched once scrolling pauses; when the rows in view are
// spread over many shards (the map order usually is), search.json is fetched instead.

import type { Context } from "./context";
import { el, featureHref } from "./dom";
import { formatDensity, formatValue } from "./format";

export const ROW_HEIGHT = 28; // px, matches .feature-row in style.css
const OVERSCAN = 8;
const FETCH_DELAY_MS = 200;
const SHARDS_BEFORE_SEARCH = 6; // rows in view needing more shards than this: fetch search.json instead
const MAX_IN_FLIGHT = 4; // shard fetches at a time; more start as these finish, while still in view

export class FeatureList {
  readonly element: HTMLElement;
  private spacer: HTMLElement;
  private ids: ArrayLike<number> = [];
  private rows = new Map<number, HTMLAnchorElement>(); // by position in `ids`
  private current: number | null = null;
  private frame = 0;
  private fetchTimer = 0;
  private rendered = false;
  private inFlight = 0;
  private searchFailed = false;

  constructor(
    private ctx: Context,
    private onFirstRender: () => void,
  ) {
    this.spacer = el("div", { class: "feature-list-spacer" });
    this.element = el("div", { class: "feature-list", role: "list", tabindex: 0 }, this.spacer);
    this.element.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.element);
    ctx.store.onShard(() => this.schedule(false));
  }

  show(ids: ArrayLike<number>): void {
    this.ids = ids;
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.spacer.style.height = `${ids.length * ROW_HEIGHT}px`;
    this.element.scrollTop = 0;
    this.render();
  }

  /** Marks the open feature and scrolls it into view when it is in the list. */
  setCurrent(id: number | null): void {
    this.current = id;
    for (const [pos, row] of this.rows) row.classList.toggle("current", this.ids[pos] === id);
    if (id === null) return;
    let pos = -1;
    for (let i = 0; i < this.ids.length; i++) {
      if (this.ids[i] === id) {
        pos = i;
        break;
      }
    }
    if (pos < 0) return;
    const top = pos * ROW_HEIGHT;
    const view = this.element;
    if (top < view.scrollTop || top + ROW_HEIGHT > view.scrollTop + view.clientHeight) {
      view.scrollTop = Math.max(0, top - view.clientHeight / 2);
      this.render();
    }
  }

  /** Re-renders on the next frame; `fetch` also schedules fetching the shards in view. */
  schedule(fetch = true): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
    if (fetch) {
      clearTimeout(this.fetchTimer);
      this.fetchTimer = window.setTimeout(() => this.fetchVisible(), FETCH_DELAY_MS);
    }
  }

  private range(overscan: number): [number, number] {
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - overscan);
    const last = Math.min(this.ids.length, Math.ceil((this.element.scrollTop + height) / ROW_HEIGHT) + overscan);
    return [first, last];
  }

  private render(): void {
    const [first, last] = this.range(OVERSCAN);
    for (const [pos, row] of this.rows) {
      if (pos < first || pos >= last) {
        row.remove();
        this.rows.delete(pos);
      }
    }
    for (let pos = first; pos < last; pos++) {
      let row = this.rows.get(pos);
      if (!row) {
        row = this.makeRow(pos);
        this.rows.set(pos, row);
        this.element.appendChild(row);
      } else {
        this.fillLabel(row, this.ids[pos]);
      }
    }
    if (!this.rendered) {
      this.rendered = true;
      this.onFirstRender();
      this.schedule();
    }
  }

  private makeRow(pos: number): HTMLAnchorElement {
    const id = this.ids[pos];
    const index = this.ctx.index;
    const row = el(
      "a",
      {
        class: "feature-row",
        href: featureHref(id),
        role: "listitem",
        "data-id": id,
        style: `transform: translateY(${pos * ROW_HEIGHT}px)`,
      },
      el("span", { class: "row-id", text: `#${id}` }),
      el("span", { class: "row-label", dir: "auto" }),
      el("span", { class: "row-density", title: "density", text: index ? formatDensity(index.density[id]) : "–" }),
      el("span", { class: "row-max", title: "max activation", text: index ? formatValue(index.maxActivation[id], 1) : "–" }),
    );
    if (id === this.current) row.classList.add("current");
    this.fillLabel(row, id);
    return row;
  }

  private fillLabel(row: HTMLAnchorElement, id: number): void {
    const span = row.children[1] as HTMLElement;
    const label = this.ctx.labelOf(id);
    let text: string;
    let state: string;
    if (typeof label === "string") {
      text = label;
      state = "known";
    } else if (label === null) {
      // No label: its top tokens (from search.json) say more than "no label".
      const tokens = this.ctx.tokensOf(id);
      text = tokens === null ? "no label" : `tokens: ${tokens}`;
      state = tokens === null ? "none" : "tokens";
    } else if (this.ctx.store.failure(id)) {
      text = "shard missing";
      state = "failed";
    } else {
      text = "…";
      state = "unknown";
    }
    if (span.textContent !== text) span.textContent = text;
    span.dataset.state = state;
    if (state === "known" || state === "tokens") span.title = text;
    else span.removeAttribute("title");
  }

  private fetchVisible(): void {
    if (this.ctx.searchIfLoaded()) return;
    const [first, last] = this.range(0);
    const needed: number[] = [];
    for (let pos = first; pos < last; pos++) {
      const shard = this.ctx.store.shardOf(this.ids[pos]);
      if (!this.ctx.store.isRequested(shard) && !needed.includes(shard)) needed.push(shard);
    }
    // Rows in map order come from many shards: one search.json (every label) is then cheaper.
    if (needed.length > SHARDS_BEFORE_SEARCH && !this.searchFailed) {
      this.ctx.search().catch(() => {
        this.searchFailed = true;
        this.fetchVisible();
      });
      return;
    }
    for (const shard of needed) {
      if (this.inFlight >= MAX_IN_FLIGHT) break;
      this.inFlight++;
      this.ctx.store
        .shard(shard)
        .catch(() => {
          // Reported by the store; the row says "shard missing".
        })
        .finally(() => {
          this.inFlight--;
          this.fetchVisible(); // the rows still in view that need a shard
        });
    }
  }
}
