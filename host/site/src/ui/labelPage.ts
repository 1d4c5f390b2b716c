// #/label: human labelling under `dictlab serve` (DATA.md, "Labelling API"). The labeller gives
// a name once (kept in localStorage), takes a queue of features they have not labelled, and sees
// one feature at a time with its evidence (histogram, logit effects, top examples, interval
// samples). Each label is saved the moment it is made; a failed save keeps the text.
// #/label?feature=ID starts with that feature. Keys: see KEYS below.
//
// Flags (ui/flags.ts): data-label-view = loading|off|name|feature|done|error,
// data-label-ready = the id shown once its evidence and the other labels are in (and the next
// feature's shard, fetched ahead),
// data-label-saved / data-label-failed = counts of saves that worked / failed.

import type { Feature } from "../data/types";
import {
  ApiError,
  RUBRIC,
  exportUrl,
  fetchQueue,
  importFormat,
  importLabels,
  labelApi,
  labelsByAuthor,
  labelsOfFeature,
  saveLabel,
  type HumanLabel,
} from "../data/labelsApi";
import type { Context } from "./context";
import { el, featureHref, fill, link, message } from "./dom";
import { intervalSamples, nearMisses, topExamples } from "./examples";
import { bumpFlag, clearFlag, setFlag } from "./flags";
import { formatDensity, formatValue } from "./format";
import { histogramBlock } from "./histogram";
import { labelItems } from "./labels";
import { logitEffects } from "./logits";

const QUEUE_SIZE = 20;
const AUTHOR_KEY = "dictlab.labeller";
const KEYS =
  "Enter save and next · Tab or Esc leave the text box, e or / back to it · 0–4 rubric · s or → skip, ← back (also in an empty box)";

// -- localStorage, which may be unavailable (then nothing is remembered across reloads) --------

function load(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Not remembered; the page still works.
  }
}

interface Draft {
  text: string;
  rubric: number | null;
}

const draftKey = (author: string, id: number) => `dictlab.draft.${author}.${id}`;

function loadDraft(author: string, id: number): Draft | null {
  try {
    const d = JSON.parse(load(draftKey(author, id)) ?? "null") as Draft | null;
    return d && typeof d.text === "string" ? { text: d.text, rubric: typeof d.rubric === "number" ? d.rubric : null } : null;
  } catch {
    return null;
  }
}

/** The queue's seed for this author: the same queue after a reload, a new one per batch. */
function seedOf(author: string): number {
  const key = `dictlab.labelSeed.${author}`;
  const known = Number(load(key));
  if (Number.isSafeInteger(known) && known > 0) return known;
  const seed = 1 + Math.floor(Math.random() * 1e9);
  store(key, String(seed));
  return seed;
}

// -- The route -------------------------------------------------------------------------------------

let active: LabelSession | null = null;

export function showLabel(ctx: Context, view: HTMLElement, params: URLSearchParams, isCurrent: () => boolean): void {
  active?.dispose();
  active = null;
  clearFlag("labelReady");
  setFlag("labelView", "loading");
  fill(view, el("h2", { text: "Label features" }), message("info", "Looking for the labelling API…"));
  const forced = /^\d+$/.test(params.get("feature") ?? "") ? Number(params.get("feature")) : null;
  void labelApi().then((api) => {
    if (!isCurrent()) return;
    if (!api) {
      fill(
        view,
        el("h2", { text: "Label features" }),
        el(
          "p",
          { class: "message warn", role: "alert", "data-problem": "no-api" },
          "Labelling needs the labelling API of ",
          el("code", { text: "dictlab serve RUN_DIR" }),
          ": this copy of the site is served as static files (there is no api/status), so labels can't be saved here.",
        ),
        el("p", {}, "Start it with ", el("code", { text: "dictlab serve RUN_DIR" }), " and open the address it prints. Browse the ", link("#/", "features"), " meanwhile."),
      );
      setFlag("labelView", "off");
      return;
    }
    const author = load(AUTHOR_KEY);
    const start = (name: string) => {
      if (!isCurrent()) return;
      active = new LabelSession(ctx, view, name, forced, isCurrent, () => askName(view, name, start));
      void active.start();
    };
    if (author) start(author);
    else askName(view, "", start);
  });
}

function askName(view: HTMLElement, current: string, then: (name: string) => void): void {
  active?.dispose();
  active = null;
  const input = el("input", {
    type: "text",
    class: "name-input",
    value: current,
    placeholder: "e.g. ada",
    "aria-label": "Your name",
    autocomplete: "name",
    dir: "auto",
    maxlength: 80,
  });
  const problem = el("p", { class: "message error", role: "alert", hidden: true });
  const form = el(
    "form",
    { class: "panel name-form" },
    el("h3", { text: "Who is labelling?" }),
    el("p", { class: "muted", text: "Your name is saved with each label (so several people can label the same features) and kept in this browser." }),
    el("div", { class: "name-row" }, input, el("button", { type: "submit", class: "primary", text: "Start labelling" })),
    problem,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name === "") {
      problem.textContent = "Type a name first.";
      problem.hidden = false;
      input.focus();
      return;
    }
    store(AUTHOR_KEY, name);
    then(name);
  });
  fill(view, el("h2", { text: "Label features" }), form);
  setFlag("labelView", "name");
  input.focus();
}

// -- One labeller's session --------------------------------------------------------------------

class LabelSession {
  private items: number[] = []; // this author's earlier labels (oldest first), then the queue
  private queue = new Set<number>(); // the ids that came from a queue (or ?feature=)
  private queueOrder: number[] = [];
  private pos = 0;
  private mine = new Map<number, HumanLabel>();
  private batch = 0;
  private rubric: number | null = null;
  private saving = false;
  private generation = 0;
  private disposed = false;

  private readonly root = el("div", { class: "label-page" });
  private readonly progress = el("span", { class: "label-progress", "aria-live": "polite" });
  private readonly ioStatus = el("p", { class: "label-io-status", hidden: true });
  private readonly card = el("section", { class: "panel label-card" });
  private readonly evidence = el("div", { class: "label-evidence" });
  private readonly title = el("h3", { class: "label-feature" });
  private readonly stats = el("span", { class: "label-stats muted" });
  private readonly badge = el("span", { class: "label-badge", hidden: true });
  private readonly input = el("input", {
    type: "text",
    class: "label-input",
    placeholder: "What does this feature respond to? (Enter saves)",
    "aria-label": "Label",
    dir: "auto",
    autocomplete: "off",
    spellcheck: "true",
    maxlength: 500,
  });
  private readonly rubricButtons = RUBRIC.map((r) =>
    el("button", { type: "button", class: "rubric-button", role: "radio", "aria-checked": "false", "data-rubric": r.value, title: r.help }, el("b", { text: String(r.value) }), ` ${r.name}`),
  );
  private readonly saveButton = el("button", { type: "submit", class: "primary label-save", text: "Save and next" });
  private readonly status = el("p", { class: "label-status", "aria-live": "polite" });
  private readonly others = el("div", { class: "label-others" });
  private readonly backButton = el("button", { type: "button", class: "nav-button label-back", title: "← back", text: "← back" });
  private readonly skipButton = el("button", { type: "button", class: "nav-button label-skip", title: "s or → skip", text: "skip →" });
  private readonly form = el(
    "form",
    { class: "label-form" },
    this.input,
    el("div", { class: "rubric", role: "radiogroup", "aria-label": "Rubric: how clear is the pattern" }, el("span", { class: "rubric-name muted", text: "rubric" }), this.rubricButtons),
    this.saveButton,
  );
  private readonly keyHandler = (event: KeyboardEvent) => this.onKey(event);

  constructor(
    private ctx: Context,
    private view: HTMLElement,
    private author: string,
    private forced: number | null,
    private isCurrent: () => boolean,
    private changeName: () => void,
  ) {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });
    this.input.addEventListener("input", () => this.keepDraft());
    this.rubricButtons.forEach((b, value) =>
      b.addEventListener("click", () => {
        this.setRubric(this.rubric === value ? null : value);
        this.keepDraft();
      }),
    );
    this.backButton.addEventListener("click", () => this.back());
    this.skipButton.addEventListener("click", () => this.skip());
    window.addEventListener("keydown", this.keyHandler);
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    window.removeEventListener("keydown", this.keyHandler);
  }

  /** False once the route has changed (the key handler is then removed). */
  private get live(): boolean {
    if (!this.disposed && !this.isCurrent()) this.dispose();
    return !this.disposed;
  }

  async start(): Promise<void> {
    const change = el("button", { type: "button", class: "link-button", text: "change" });
    change.addEventListener("click", () => this.changeName());
    const importInput = el("input", { type: "file", class: "label-import-file", accept: ".csv,.jsonl,.ndjson,.json,text/csv,application/x-ndjson" });
    importInput.addEventListener("change", () => void this.importFile(importInput));
    const top = el(
      "header",
      { class: "label-top" },
      el("h2", { text: "Label features" }),
      el("span", { class: "label-author" }, "as ", el("bdi", { class: "label-author-name", text: this.author }), " (", change, ")"),
      this.progress,
      el(
        "span",
        { class: "label-io" },
        "all human labels: ",
        link(exportUrl("csv"), "CSV", { class: "export-csv", download: "human-labels.csv" }),
        " · ",
        link(exportUrl("jsonl"), "JSONL", { class: "export-jsonl", download: "human-labels.jsonl" }),
        " · ",
        el("label", { class: "link-button label-import", title: "CSV or JSONL with the export's columns" }, "import…", importInput),
      ),
    );
    fill(this.view, top, this.ioStatus, message("info", "Fetching your queue…"));
    let queue: number[];
    try {
      const [mine, q] = await Promise.all([labelsByAuthor(this.author), fetchQueue(this.author, QUEUE_SIZE, seedOf(this.author))]);
      queue = q;
      for (const l of mine.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.feature - b.feature)) this.mine.set(l.feature, l);
    } catch (e) {
      if (!this.live) return;
      fill(this.view, top, message("error", `${(e as Error).message}: the labelling queue can't be fetched.`, { "data-problem": "queue" }));
      setFlag("labelView", "error");
      return;
    }
    if (!this.live) return;
    this.items = [...this.mine.keys()];
    if (this.forced !== null && this.forced < this.ctx.run.n_features) {
      const at = this.items.indexOf(this.forced);
      if (at >= 0) this.items.splice(at, 1); // shown again as the queue's first, for editing
      queue = [this.forced, ...queue.filter((id) => id !== this.forced)];
    }
    const firstQueued = this.items.length;
    this.addToQueue(queue);
    this.card.replaceChildren(
      el("div", { class: "label-card-head" }, this.title, this.badge, this.stats, el("span", { class: "label-nav" }, this.backButton, this.skipButton)),
      this.form,
      this.status,
      el("p", { class: "label-keys muted", text: KEYS }),
      el("div", { class: "label-others-block" }, el("h4", { text: "Other labellers" }), this.others),
    );
    this.root.replaceChildren(this.card, this.evidence);
    fill(this.view, top, this.ioStatus, this.root);
    await this.show(firstQueued);
  }

  private addToQueue(ids: number[]): number {
    let added = 0;
    for (const id of ids) {
      if (this.queue.has(id)) continue;
      this.queue.add(id);
      this.queueOrder.push(id);
      this.items.push(id);
      added++;
    }
    return added;
  }

  private updateProgress(): void {
    const done = this.queueOrder.filter((id) => this.mine.has(id)).length;
    this.progress.replaceChildren(
      el("b", { text: `${done} labelled of ${this.queueOrder.length}` }),
      ` in the queue · ${this.mine.size} by you in all`,
    );
    this.progress.dataset.labelled = String(done);
    this.progress.dataset.queue = String(this.queueOrder.length);
  }

  private setRubric(value: number | null): void {
    this.rubric = value;
    this.rubricButtons.forEach((b, i) => {
      b.setAttribute("aria-checked", String(i === value));
      b.classList.toggle("on", i === value);
    });
  }

  private current(): number | null {
    return this.pos < this.items.length ? this.items[this.pos] : null;
  }

  private keepDraft(): void {
    const id = this.current();
    if (id === null) return;
    const saved = this.mine.get(id);
    const text = this.input.value;
    if (saved ? text === saved.text && this.rubric === saved.rubric : text === "" && this.rubric === null) {
      store(draftKey(this.author, id), null);
    } else {
      store(draftKey(this.author, id), JSON.stringify({ text, rubric: this.rubric }));
    }
  }

  private setStatus(kind: "ok" | "error" | "info" | null, text = ""): void {
    this.status.className = `label-status${kind ? ` ${kind}` : ""}`;
    this.status.setAttribute("role", kind === "error" ? "alert" : "status");
    this.status.textContent = text;
  }

  private async show(pos: number, statusNote: string | null = null): Promise<void> {
    if (!this.live) return;
    const generation = ++this.generation;
    this.pos = Math.max(0, Math.min(pos, this.items.length));
    clearFlag("labelReady");
    this.updateProgress();
    this.view.scrollTop = 0;
    const id = this.current();
    if (id === null) {
      this.showDone();
      return;
    }
    if (!this.root.contains(this.card)) this.root.replaceChildren(this.card, this.evidence);
    setFlag("labelView", "feature");
    this.root.dataset.feature = String(id);
    const saved = this.mine.get(id);
    const draft = loadDraft(this.author, id);
    this.title.replaceChildren(link(featureHref(id), `Feature #${id}`, { title: "open its feature page" }));
    this.badge.hidden = !saved;
    this.badge.textContent = saved ? "labelled: editing" : "";
    this.stats.textContent = "";
    this.input.value = draft?.text ?? saved?.text ?? "";
    this.setRubric(draft ? draft.rubric : (saved?.rubric ?? null));
    if (statusNote) this.setStatus("ok", statusNote);
    else this.setStatus(draft ? "info" : null, draft ? "An unsaved draft, kept from before." : "");
    this.backButton.disabled = this.pos === 0;
    this.others.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    this.evidence.replaceChildren(message("info", "Loading the evidence…"));
    // Ready to type on a new feature; on one already labelled, the keys work until e (or a click).
    if (this.input.value === "") this.input.focus({ preventScroll: true });
    else if (document.activeElement === this.input) this.input.blur();

    const [feature, labels] = await Promise.allSettled([this.ctx.store.feature(id), labelsOfFeature(id)]);
    if (generation !== this.generation || !this.live) return;
    // The next feature's shard meanwhile (a shard is ~1 MB of JSON); its errors show when it is shown.
    const upcoming = this.items[this.pos + 1];
    const prefetch = upcoming === undefined ? Promise.resolve() : this.ctx.store.feature(upcoming).then(
      () => {},
      () => {},
    );
    if (feature.status === "fulfilled") {
      this.stats.textContent = statsText(feature.value);
      this.evidence.replaceChildren(...evidence(feature.value));
    } else {
      this.evidence.replaceChildren(message("error", `${(feature.reason as Error).message}: the evidence for #${id} can't be shown.`, { "data-problem": "shard" }));
    }
    if (labels.status === "fulfilled") {
      const mineNow = labels.value.find((l) => l.author === this.author);
      if (mineNow) {
        // Saved from another tab meanwhile: show it unless the box holds an edit.
        const untouched = this.input.value === (saved?.text ?? "") && this.rubric === (saved?.rubric ?? null);
        this.mine.set(id, mineNow);
        if (untouched && !draft) {
          this.input.value = mineNow.text;
          this.setRubric(mineNow.rubric);
        }
        this.badge.hidden = false;
        this.badge.textContent = "labelled: editing";
        this.updateProgress();
      }
      this.others.replaceChildren(labelItems(labels.value.filter((l) => l.author !== this.author), "Nobody else has labelled it yet."));
    } else {
      this.others.replaceChildren(el("p", { class: "muted", text: `${(labels.reason as Error).message}: other labels unavailable.` }));
    }
    await prefetch; // so the flag means nothing is in flight (a test may reload right after)
    if (generation === this.generation && this.live) setFlag("labelReady", id);
  }

  private showDone(): void {
    const done = this.queueOrder.filter((id) => this.mine.has(id)).length;
    const next = el("button", { type: "button", class: "primary label-more", text: "Another queue (Enter)" });
    next.addEventListener("click", () => void this.more());
    const back = el("button", { type: "button", class: "nav-button", text: "← back" });
    back.addEventListener("click", () => this.back());
    back.disabled = this.items.length === 0;
    this.root.replaceChildren(
      el(
        "section",
        { class: "panel label-done" },
        el("h3", { text: "Queue done" }),
        el("p", { text: `${done} of ${this.queueOrder.length} labelled, ${this.queueOrder.length - done} skipped.` }),
        el("div", { class: "label-nav" }, back, next),
      ),
    );
    setFlag("labelView", "done");
    setFlag("labelReady", "done");
    next.focus({ preventScroll: true });
  }

  private async more(): Promise<void> {
    this.batch++;
    let ids: number[];
    try {
      ids = await fetchQueue(this.author, QUEUE_SIZE, seedOf(this.author) + this.batch);
    } catch (e) {
      this.root.append(message("error", `${(e as Error).message}: no new queue.`));
      return;
    }
    if (!this.live) return;
    const before = this.items.length;
    for (const id of ids) {
      if (this.mine.has(id)) continue;
      if (this.queue.has(id)) this.items.push(id); // skipped before: once more
      else this.addToQueue([id]);
    }
    if (this.items.length === before) {
      this.root.replaceChildren(
        el("section", { class: "panel label-done" }, el("h3", { text: "Nothing left" }), el("p", { text: "You have labelled every alive feature of this run." })),
      );
      setFlag("labelReady", "done");
      return;
    }
    await this.show(before);
  }

  private back(): void {
    if (this.pos > 0) void this.show(this.pos - 1);
  }

  private skip(): void {
    if (this.pos < this.items.length) void this.show(this.pos + 1);
  }

  private async save(): Promise<void> {
    const id = this.current();
    if (id === null || this.saving) return;
    const text = this.input.value.trim();
    const rubric = this.rubric;
    this.saving = true;
    this.saveButton.disabled = true;
    this.setStatus("info", "Saving…");
    try {
      const label = await saveLabel({ feature: id, author: this.author, text, rubric });
      this.mine.set(id, label);
      store(draftKey(this.author, id), null);
      bumpFlag("labelSaved");
      if (this.live && this.current() === id) {
        await this.show(this.pos + 1, `Saved #${id}: “${label.text}”${label.rubric === null ? "" : ` (rubric ${label.rubric})`}.`);
      } else {
        this.updateProgress();
      }
    } catch (e) {
      bumpFlag("labelFailed");
      if (this.live && this.current() === id) {
        const why = e instanceof ApiError && e.status === 0 ? e.message : (e as Error).message;
        this.setStatus("error", `Not saved: ${why}.${text === "" ? "" : " Your text is still here: fix it or try again."}`);
        this.keepDraft();
        this.input.focus({ preventScroll: true });
      }
    } finally {
      this.saving = false;
      this.saveButton.disabled = false;
    }
  }

  private async importFile(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    if (!file) return;
    this.ioStatus.hidden = false;
    this.ioStatus.className = "label-io-status message info";
    this.ioStatus.textContent = `Importing ${file.name}…`;
    try {
      const text = await file.text();
      const n = await importLabels(text, importFormat(file.name, text));
      for (const l of await labelsByAuthor(this.author)) this.mine.set(l.feature, l);
      this.ioStatus.className = "label-io-status message ok";
      this.ioStatus.textContent = `Imported ${n} label${n === 1 ? "" : "s"} from ${file.name}.`;
      bumpFlag("labelImported");
      this.updateProgress();
    } catch (e) {
      this.ioStatus.className = "label-io-status message error";
      this.ioStatus.setAttribute("role", "alert");
      this.ioStatus.textContent = `${file.name} not imported: ${(e as Error).message}`;
      bumpFlag("labelImported");
    }
    input.value = "";
  }

  private onKey(event: KeyboardEvent): void {
    if (!this.live) return;
    if (event.defaultPrevented || event.altKey || event.metaKey || event.isComposing) return;
    const target = event.target as HTMLElement | null;
    const inLabel = target === this.input;
    const typing = !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    const onDone = this.current() === null;
    if (event.key === "Enter") {
      if (inLabel && !event.ctrlKey) return; // the form submits
      if (typing && !inLabel && !event.ctrlKey) return; // someone else's field
      if (!typing && target?.tagName === "A") return; // follow the link
      event.preventDefault();
      if (onDone) void this.more();
      else void this.save();
      return;
    }
    if (inLabel && event.key === "Escape") {
      event.preventDefault();
      this.input.blur();
      return;
    }
    if (inLabel && this.input.value === "" && !event.ctrlKey && !event.shiftKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      event.preventDefault(); // no caret to move in an empty box
      if (event.key === "ArrowLeft") this.back();
      else this.skip();
      return;
    }
    if (typing || event.ctrlKey) return;
    if (/^[0-4]$/.test(event.key) && !onDone) {
      event.preventDefault();
      const value = Number(event.key);
      this.setRubric(this.rubric === value ? null : value);
      this.keepDraft();
    } else if (event.key === "s" || event.key === "ArrowRight") {
      event.preventDefault();
      this.skip();
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      this.back();
    } else if ((event.key === "e" || event.key === "/") && !onDone) {
      event.preventDefault();
      this.input.focus({ preventScroll: true });
    }
  }
}

function statsText(f: Feature): string {
  return `density ${formatDensity(f.density)} · max ${formatValue(f.max_activation)}${f.mean_activation === null ? "" : ` · mean ${formatValue(f.mean_activation)}`}`;
}

function evidence(f: Feature): HTMLElement[] {
  const max = f.max_activation > 0 ? f.max_activation : 1;
  return [
    topExamples(f.top_examples, max),
    el(
      "div",
      { class: "two-columns" },
      f.histogram ? histogramBlock(f.histogram) : el("section", { class: "panel" }, el("p", { class: "muted", text: "No histogram." })),
      logitEffects(f.logits),
    ),
    intervalSamples(f.intervals, max),
    ...nearMisses(f.near_misses, max),
  ];
}
