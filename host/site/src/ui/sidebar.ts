// The left column: search (by label or token), the list order, and the feature list itself.

import { sortedIds, type SortKey } from "../data/order";
import type { SearchMode } from "../data/search";
import type { Context } from "./context";
import { el, featureHref, fill, link } from "./dom";
import { FeatureList } from "./featureList";
import { setFlag } from "./flags";
import { formatCount } from "./format";

const SEARCH_DELAY_MS = 300;

const SORT_NAMES: Record<SortKey, string> = {
  layout: "map layout",
  id: "id",
  density: "density",
  max: "max activation",
};

export function buildSidebar(ctx: Context, list: FeatureList): HTMLElement {
  const n = ctx.run.n_features;
  const query = el("input", {
    type: "search",
    class: "search-input",
    placeholder: "Search labels, tokens or an id",
    "aria-label": "Search",
    dir: "auto",
    autocomplete: "off",
    spellcheck: "false",
  });
  const mode = el(
    "select",
    { class: "search-mode", "aria-label": "Search in" },
    el("option", { value: "label", text: "labels" }),
    el("option", { value: "token", text: "tokens" }),
  );
  const sort = el("select", { class: "sort-key", "aria-label": "Order" });
  for (const key of Object.keys(SORT_NAMES) as SortKey[]) {
    sort.appendChild(el("option", { value: key, text: `by ${SORT_NAMES[key]}` }));
  }
  if (!ctx.index) sort.disabled = true;
  const caption = el("div", { class: "list-caption", "aria-live": "polite" });
  const form = el("form", { class: "search-form", role: "search" }, query, mode);

  let sequence = 0;
  let timer = 0;
  const orders = new Map<SortKey, Uint32Array>();

  function showAll(): void {
    const key = sort.value as SortKey;
    let ids = orders.get(key);
    if (!ids) {
      ids = sortedIds(ctx.index, n, key);
      orders.set(key, ids);
    }
    list.show(ids);
    caption.replaceChildren(
      `${formatCount(n)} features`,
      ctx.index ? `, by ${SORT_NAMES[key]}` : " (no index.bin: by id)",
    );
  }

  async function runSearch(): Promise<void> {
    const q = query.value;
    const seq = ++sequence;
    if (q.trim() === "") {
      showAll();
      setFlag("searchReady", q);
      return;
    }
    const goTo = idIn(q, n);
    const goLink = goTo === null ? null : link(featureHref(goTo), `open feature #${goTo}`, { class: "go-link" });
    caption.replaceChildren("Searching… (fetching data/search.json the first time)");
    try {
      const index = await ctx.search();
      if (seq !== sequence) return;
      const m = mode.value as SearchMode;
      const ids = index.find(q, m);
      list.show(ids);
      const what = m === "label" ? "a label matching" : "top tokens matching";
      fill(
        caption,
        `${formatCount(ids.length)} with ${what} “`,
        el("bdi", { text: q.trim() === "" ? q : q.trim() }),
        "” ",
        clearButton(),
        goLink ? " · " : "",
        goLink,
      );
    } catch (e) {
      if (seq !== sequence) return;
      fill(
        caption,
        el("span", {
          class: "search-error",
          role: "alert",
          text: `${(e as Error).message}: search by label or token is off. `,
        }),
        goLink ?? "Type an id to open a feature.",
      );
    }
    setFlag("searchReady", q);
  }

  function clearButton(): HTMLButtonElement {
    const b = el("button", { type: "button", class: "link-button", text: "clear" });
    b.addEventListener("click", () => {
      query.value = "";
      void runSearch();
    });
    return b;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    // Enter on a bare id opens it (the feature page says so when it is out of range).
    const bare = /^\s*#?(\d+)\s*$/.exec(query.value);
    if (bare) location.hash = featureHref(Number(bare[1]));
    void runSearch();
  });
  query.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void runSearch(), SEARCH_DELAY_MS);
  });
  mode.addEventListener("change", () => void runSearch());
  sort.addEventListener("change", () => {
    if (query.value.trim() === "") showAll();
  });

  showAll();
  return el(
    "aside",
    { class: "sidebar" },
    form,
    el("div", { class: "list-head" }, caption, sort),
    el(
      "div",
      { class: "list-columns", "aria-hidden": "true" },
      el("span", { text: "id" }),
      el("span", { text: "label" }),
      el("span", { text: "density" }),
      el("span", { text: "max" }),
    ),
    list.element,
  );
}

/** The feature id typed as "123" or "#123", if it is in range. */
function idIn(text: string, n: number): number | null {
  const m = /^\s*#?(\d+)\s*$/.exec(text);
  if (!m) return null;
  const id = Number(m[1]);
  return id < n ? id : null;
}
