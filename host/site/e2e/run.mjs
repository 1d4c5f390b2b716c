#!/usr/bin/env node
// End-to-end tests of the feature browser in headless Chromium.
//
//   node e2e/run.mjs DATA_DIR        (DATA_DIR: a data/ folder, or the folder holding data/)
//
// Env: DICTLAB_SITE_BUILD  the built site (default ./dist: `npx vite build`)
//      DICTLAB_E2E_SCREENSHOTS  where screenshots go (default /tmp/dictlab-e2e)
//      DICTLAB_E2E_ONLY  run only tests whose name contains this text
//
// The site is served from 127.0.0.1 and every other request is aborted (so it needs no server
// of ours); a page error or console error fails the test (except the 404s a test provokes);
// tests wait on the page's data-* readiness flags (src/ui/flags.ts), never on sleeps.
// Model tests run when run.json names a model. Exits non-zero when a test fails.

import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { counter, launchBrowser, openPage, readExport, resolveDataDir, startServer, waitCounter, waitFlag } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
let dataDir;
try {
  dataDir = resolveDataDir(process.argv[2]);
} catch (e) {
  console.error(`usage: node e2e/run.mjs DATA_DIR\nerror: ${e.message}`);
  process.exit(2);
}
const siteDir = resolve(process.env.DICTLAB_SITE_BUILD ?? join(here, "..", "dist"));
const shots = resolve(process.env.DICTLAB_E2E_SCREENSHOTS ?? "/tmp/dictlab-e2e");
const only = process.env.DICTLAB_E2E_ONLY ?? "";
mkdirSync(shots, { recursive: true });

const data = readExport(dataDir);
const hasModel = data.run.model !== null && data.run.model !== undefined;
const hasSae = hasModel && data.run.sae !== null && data.run.sae !== undefined;

class Skip extends Error {}
function check(condition, message) {
  if (!condition) throw new Error(message);
}
const showToken = (t) => t.replace(/\n/g, "⏎").replace(/\t/g, "⇥").replace(/\r/g, "␍");

/** A live feature with top examples (and a label when any has one), from the first shards. */
function pickFeature({ avoidShard = -1, unicode = false } = {}) {
  let fallback = null;
  for (let s = 0; s < data.nShards && s < 64; s++) {
    if (s === avoidShard) continue;
    for (const f of data.shard(s) ?? []) {
      if (!f.top_examples?.length) continue;
      const text = f.top_examples.flatMap((e) => e.tokens).join("");
      if (unicode && !/[^\x00-\x7f]/.test(text)) continue;
      if (f.labels?.length) return f;
      fallback ??= f;
    }
  }
  return fallback;
}

const tests = [];
function test(name, options, fn) {
  if (typeof options === "function") [fn, options] = [options, {}];
  tests.push({ name, fn, ...options });
}

// -- The browser, shared; each test gets a fresh context. --------------------------------------

let server;
let browser;

async function withPage(t, { allowedFailures = [] } = {}, fn) {
  const session = await openPage(browser, { allowedFailures });
  t.session = session;
  try {
    return await fn(session.page);
  } finally {
    t.problems.push(...session.problems);
    if (session.external.length) t.problems.push(`requests outside 127.0.0.1 (aborted): ${session.external.join(", ")}`);
    await session.close();
  }
}

async function load(page, hash = "") {
  await page.goto(`${server.url}${hash ? `#${hash}` : ""}`);
  await waitFlag(page, "ready", "1");
}

async function openFeature(page, id) {
  await page.evaluate((h) => (location.hash = h), `#/feature/${id}`);
  await waitFlag(page, "featureReady", String(id));
  return page.evaluate(() => document.body.dataset.featureStatus);
}

async function shot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

// -- Tests --------------------------------------------------------------------------------------

test("the list renders", async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    const rows = await page.locator(".feature-row").count();
    check(rows >= Math.min(10, data.n), `only ${rows} rows rendered`);
    check(rows < 200, `${rows} rows in the DOM: the list is not virtual`);
    const caption = await page.locator(".list-caption").textContent();
    check(caption.includes(data.n.toLocaleString("en-US")), `caption “${caption}” does not give the feature count`);
    // Scroll to the end: the last rows render, still few rows in the DOM.
    await page.locator(".feature-list").evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => {
      const list = document.querySelector(".feature-list");
      const rows = [...document.querySelectorAll(".feature-row")];
      return rows.some((r) => r.getBoundingClientRect().bottom > list.getBoundingClientRect().bottom - 40);
    });
    const after = await page.locator(".feature-row").count();
    check(after < 200, `${after} rows after scrolling`);
    await page.locator(".feature-list").evaluate((el) => (el.scrollTop = 0));
    await page.waitForFunction(() => document.querySelector(".feature-row")?.querySelector(".row-label")?.dataset.state !== "unknown");
    t.note(`${rows} rows in the DOM for ${data.n} features`);
    await shot(page, "01-list");
  });
});

test("search finds a feature by label", async (t) => {
  if (!data.search) throw new Skip("search.json is missing or unreadable");
  const counts = new Map();
  data.search.labels.forEach((l) => l && counts.set(l, (counts.get(l) ?? 0) + 1));
  if (counts.size === 0) throw new Skip("no feature has a label in this export");
  const [label] = [...counts.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0];
  const id = data.search.labels.indexOf(label);
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.locator(".search-mode").selectOption("label");
    await page.locator(".search-input").fill(label);
    await page.locator(".search-input").press("Enter");
    await waitFlag(page, "searchReady", label);
    const hit = page.locator(`.feature-row[data-id="${id}"]`);
    check((await hit.count()) === 1, `feature ${id} (label “${label}”) is not among the results`);
    check((await hit.locator(".row-label").textContent()) === label, "the row does not show the label");
    t.note(`“${label}” → #${id}`);
    await shot(page, "02-search-label");
    await hit.click();
    await waitFlag(page, "featureReady", String(id));
  });
});

test("search finds a feature by token", async (t) => {
  if (!data.search) throw new Skip("search.json is missing or unreadable");
  const counts = new Map();
  data.search.tokens.forEach((s) => {
    for (const piece of new Set(s.split(" ").filter((p) => p.trim().length > 0))) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  });
  if (counts.size === 0) throw new Skip("no top tokens in search.json");
  const [token] = [...counts.entries()].sort((a, b) => a[1] - b[1] || b[0].length - a[0].length)[0];
  const id = data.search.tokens.findIndex((s) => s.split(" ").includes(token));
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.locator(".search-mode").selectOption("token");
    await page.locator(".search-input").fill(token);
    await waitFlag(page, "searchReady", token);
    check((await page.locator(`.feature-row[data-id="${id}"]`).count()) === 1, `feature ${id} (token “${token}”) is not among the results`);
    t.note(`token “${token}” → #${id}`);
    await shot(page, "03-search-token");
  });
});

test("a feature page shows examples, highlighted tokens, the histogram and logits", async (t) => {
  const f = pickFeature();
  if (!f) throw new Skip("no feature with examples in the first shards");
  await withPage(t, {}, async (page) => {
    await load(page);
    check((await openFeature(page, f.id)) === "ok", "the page ended in an error");
    const examples = page.locator(".top-examples .example");
    check((await examples.count()) === f.top_examples.length, `${await examples.count()} examples shown, ${f.top_examples.length} in the shard`);
    const lit = await page.locator(".top-examples .tok.lit").count();
    check(lit >= f.top_examples.length, `only ${lit} highlighted tokens`);
    check((await page.locator(".top-examples .tok.focus").count()) === f.top_examples.length, "not every example marks its focus token");
    // Tokens are shown exactly (Unicode included) and in order.
    const shown = await examples.first().locator(".tok").allTextContents();
    check(JSON.stringify(shown) === JSON.stringify(f.top_examples[0].tokens.map(showToken)), `tokens differ: ${JSON.stringify(shown)}`);
    // The focus token is coloured most.
    const bg = await examples.first().locator(".tok.focus").evaluate((e) => getComputedStyle(e).backgroundColor);
    check(bg.startsWith("rgba(255, 136, 0") || bg.startsWith("rgb(255, 136, 0"), `focus token background ${bg}`);
    if (f.histogram) {
      const bars = await page.locator("svg.histogram rect.bar").count();
      check(bars === f.histogram.counts.length, `${bars} histogram bars, ${f.histogram.counts.length} bins`);
    }
    if (f.logits) check((await page.locator(".logit-list.pos li").count()) === f.logits.positive.length, "positive logits missing");
    if (f.labels?.length) {
      const text = await page.locator(".label-list").textContent();
      check(text.includes(f.labels[0].text) && text.includes(f.labels[0].labeler), "label or labeler not shown");
    }
    // Related features (DATA.md "related"): a section only when the export has some for it.
    check((await page.locator("section.related").count()) === (f.related ? 1 : 0), `Related section shown: ${await page.locator("section.related").count()}, related in the shard: ${Boolean(f.related)}`);
    const intervals = page.locator(".intervals details");
    check((await intervals.count()) === (f.intervals?.length ?? 0), "interval groups missing");
    const near = page.locator(".near-misses .example");
    check((await near.count()) === (f.near_misses?.length ?? 0), `${await near.count()} near misses shown, ${f.near_misses?.length ?? 0} in the shard`);
    // Hovering a token shows its value.
    await page.locator(".top-examples .tok.focus").first().hover();
    const tip = page.locator(".tooltip");
    await tip.waitFor({ state: "visible" });
    check(/activation/.test(await tip.textContent()), `tooltip says “${await tip.textContent()}”`);
    t.note(`#${f.id}: ${f.top_examples.length} examples, ${lit} highlighted tokens`);
    await shot(page, "04-feature");
    await page.mouse.move(0, 0);
    await page.locator(".intervals").scrollIntoViewIfNeeded();
    await shot(page, "05-feature-intervals");
  });
});

test("Unicode tokens are shown as they are", async (t) => {
  const f = pickFeature({ unicode: true });
  if (!f) throw new Skip("no feature with non-ASCII tokens in the first shards");
  await withPage(t, {}, async (page) => {
    await load(page);
    check((await openFeature(page, f.id)) === "ok", "the page ended in an error");
    const shown = await page.locator(".top-examples .example .tokens").evaluateAll((lines) => lines.map((l) => [...l.querySelectorAll(".tok")].map((s) => s.textContent)));
    f.top_examples.forEach((e, i) => {
      check(JSON.stringify(shown[i]) === JSON.stringify(e.tokens.map(showToken)), `example ${i}: ${JSON.stringify(shown[i])} vs ${JSON.stringify(e.tokens)}`);
    });
    const dirs = await page.locator(".top-examples .tokens").evaluateAll((l) => l.map((e) => e.getAttribute("dir")));
    check(dirs.every((d) => d === "auto"), "token lines are not dir=auto");
    t.note(`#${f.id}: ${f.top_examples[0].tokens.join("")}`);
    await shot(page, "06-unicode-feature");
  });
});

test("an out-of-range id says so", async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    check((await openFeature(page, data.n)) === "error", "no error status");
    const text = await page.locator('[data-problem="out-of-range"]').textContent();
    check(text.includes(String(data.n)) && /doesn't exist/.test(text), `message: ${text}`);
    check((await openFeature(page, "abc")) === "error", "“abc” accepted");
    // Typing the id in the search box and pressing Enter goes there too.
    await page.locator(".search-input").fill(String(data.n + 5));
    await page.locator(".search-input").press("Enter");
    await waitFlag(page, "featureReady", String(data.n + 5));
    await shot(page, "07-out-of-range");
  });
});

test("a deleted shard shows a message and other features still open", async (t) => {
  const victim = Math.min(1, data.nShards - 1);
  const path = `/data/${data.shardName(victim)}`;
  const lost = victim * data.run.shard_size;
  server.missing.add(path);
  await withPage(t, { allowedFailures: [path] }, async (page) => {
    await load(page);
    check((await openFeature(page, lost)) === "error", "no error for a feature of the missing shard");
    const text = await page.locator('[data-problem="shard"]').textContent();
    check(text.includes(data.shardName(victim)) && /missing/.test(text), `message: ${text}`);
    const notice = await page.locator(".notices").textContent();
    check(notice.includes(data.shardName(victim)), `the notice bar does not name the shard: ${notice}`);
    await shot(page, "08-missing-shard");
    const other = pickFeature({ avoidShard: victim });
    if (other) check((await openFeature(page, other.id)) === "ok", `feature ${other.id} (another shard) does not open`);
  });
});

test("a truncated shard says so", async (t) => {
  const path = `/data/${data.shardName(0)}`;
  server.truncate.set(path, 100);
  await withPage(t, {}, async (page) => {
    await load(page);
    check((await openFeature(page, 0)) === "error", "no error for a truncated shard");
    const text = await page.locator('[data-problem="shard"]').textContent();
    check(/truncated/.test(text) && text.includes(data.shardName(0)), `message: ${text}`);
  });
});

test("a missing search.json turns search off and the rest works", async (t) => {
  server.missing.add("/data/search.json");
  await withPage(t, { allowedFailures: ["/data/search.json"] }, async (page) => {
    await load(page);
    await page.locator(".search-input").fill("the");
    await page.locator(".search-input").press("Enter");
    await waitFlag(page, "searchReady", "the");
    const caption = await page.locator(".list-caption").textContent();
    check(/search\.json is missing/.test(caption), `caption: ${caption}`);
    check((await page.locator(".notices").textContent()).includes("search.json"), "no notice");
    const f = pickFeature();
    if (f) check((await openFeature(page, f.id)) === "ok", "features do not open");
    await shot(page, "09-missing-search");
  });
});

test("a truncated index.bin is reported; the list and features still work", async (t) => {
  server.truncate.set("/data/index.bin", 1000);
  await withPage(t, {}, async (page) => {
    await load(page);
    const notice = await page.locator(".notices").textContent();
    check(/index\.bin is truncated/.test(notice), `notice: ${notice}`);
    check((await page.locator(".feature-row").count()) > 0, "no rows");
    const f = pickFeature();
    if (f) check((await openFeature(page, f.id)) === "ok", "features do not open");
    await page.evaluate(() => (location.hash = "#/map"));
    await page.waitForFunction(() => document.body.dataset.view === "map");
    check(/index\.bin/.test(await page.locator(".view").textContent()), "the map does not say why it is missing");
    await shot(page, "10-truncated-index");
  });
});

test("a missing run.json is reported; index.bin still gives the list", async (t) => {
  if (!data.index) throw new Skip("index.bin is missing or unreadable");
  server.missing.add("/data/run.json");
  await withPage(t, { allowedFailures: ["/data/run.json"] }, async (page) => {
    await load(page);
    const notice = await page.locator(".notices").textContent();
    check(/run\.json is missing/.test(notice), `notice: ${notice}`);
    check((await page.locator(".feature-row").count()) > 0, "no rows");
    check((await page.locator(".list-caption").textContent()).includes(data.n.toLocaleString("en-US")), "feature count not inferred from index.bin");
    if (data.run.shard_size === 64) {
      const f = pickFeature();
      if (f) check((await openFeature(page, f.id)) === "ok", "features do not open");
    }
  });
});

test("the map draws, hover names a feature, a click opens it", async (t) => {
  if (!data.index) throw new Skip("index.bin is missing or unreadable");
  const f = pickFeature() ?? { id: 0 };
  await withPage(t, {}, async (page) => {
    await load(page);
    const before = await counter(page, "mapReady");
    await page.evaluate(() => (location.hash = "#/map"));
    await waitCounter(page, "mapReady", before);
    const canvas = page.locator("canvas.map-canvas");
    const painted = await canvas.evaluate((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) n++;
      return n;
    });
    check(painted > Math.min(100, data.n), `only ${painted} painted pixels`);
    const [x0, y0, span] = (await canvas.getAttribute("data-view")).split(" ").map(Number);
    const box = await canvas.boundingBox();
    const px = box.x + ((data.index.x[f.id] - x0) / span) * box.width;
    const py = box.y + ((data.index.y[f.id] - y0) / span) * box.height;
    await page.mouse.move(px, py);
    const tip = page.locator(".tooltip");
    await tip.waitFor({ state: "visible" });
    const tipText = await tip.textContent();
    check(/^#\d+/.test(tipText), `tooltip: ${tipText}`);
    await shot(page, "11-map");
    await page.mouse.click(px, py);
    await waitFlag(page, "featureReady", (v) => /^\d+$/.test(v));
    const opened = Number(await page.evaluate(() => document.body.dataset.featureReady));
    const dx = ((data.index.x[opened] - data.index.x[f.id]) / span) * box.width;
    const dy = ((data.index.y[opened] - data.index.y[f.id]) / span) * box.height;
    check(Math.hypot(dx, dy) <= 9, `clicked #${f.id} at (${px.toFixed(0)}, ${py.toFixed(0)}) but #${opened} opened, ${Math.hypot(dx, dy).toFixed(1)} px away`);
    check(tipText.startsWith(`#${opened}`), `hover said ${tipText}, click opened #${opened}`);
    t.note(`${painted} painted pixels; clicked #${f.id}, opened #${opened}`);
  });
});

test("without a model, the model pages say so", { model: false }, async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    for (const route of ["fires", "generate"]) {
      await page.evaluate((h) => (location.hash = h), `#/${route}`);
      await page.waitForFunction((r) => document.body.dataset.view === r, route);
      const status = await page.locator(".model-status").textContent();
      check(/no model/.test(status), `${route}: ${status}`);
    }
    await shot(page, "12-no-model");
  });
});

// -- Model tests (run.json names a model) -----------------------------------------------------

const UNICODE_TEXT = "Hello 😀👍🏽 world — مرحبا بالعالم, שלום עולם, café naïve e\u0301 中文 🚀\nnext line";

test("what fires here: Unicode text, token features, highlight by feature", { model: true }, async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.evaluate(() => (location.hash = "#/fires"));
    await page.waitForFunction(() => document.body.dataset.view === "fires");
    await waitCounter(page, "firesReady", 0, 120000); // the first analysis, of the default text
    const before = await counter(page, "firesReady");
    await page.locator(".fires-input").fill(UNICODE_TEXT);
    await waitCounter(page, "firesReady", before, 120000);
    const error = await page.locator(".fires-tokens .message.error").count();
    check(error === 0, `error: ${await page.locator(".fires-tokens").textContent()}`);
    const tokens = await page.locator(".fires-tokens .tok").allTextContents();
    check(tokens.length > 5, `${tokens.length} tokens`);
    const joined = tokens.join("").replace(/⏎/g, "\n");
    // A small model's context may hold only the end of the text (the page says so): what is
    // shown must be exactly a tail of the input, every character intact.
    const cut = (await page.locator('[data-problem="truncated"]').count()) > 0;
    const nfc = (s) => s.normalize("NFC");
    check(cut ? nfc(UNICODE_TEXT).endsWith(nfc(joined)) : nfc(joined) === nfc(UNICODE_TEXT),
      `the tokens shown are not ${cut ? "a tail of" : ""} the input: ${JSON.stringify(joined)}`);
    for (const piece of cut ? ["中文", "🚀"] : ["😀", "مرحبا", "שלום", "中文", "café"]) {
      check(nfc(joined).includes(nfc(piece)), `“${piece}” is not in the tokens shown: ${joined}`);
    }
    t.note(cut ? `cut to the context: ${JSON.stringify(joined)}` : "tokens join back to the input exactly");
    check((await page.locator(".fires-tokens .tokens").getAttribute("dir")) === "auto", "tokens are not dir=auto");
    if (hasSae) {
      await page.locator(".fires-tokens .tok").nth(1).click();
      const items = page.locator(".active-features li");
      check((await items.count()) > 0, "no features listed for the clicked token");
      const feature = await items.first().getAttribute("data-id");
      await items.first().locator("button").click();
      const lit = await page.locator(".fires-tokens .tok.lit").count();
      check(lit >= 1, "choosing a feature highlights no token");
      t.note(`${await page.locator(".fires-detail h3").textContent()}; #${feature} lights ${lit} tokens`);
      await shot(page, "13-fires");
      // The feature link opens its page.
      await items.first().locator("a").click();
      await waitFlag(page, "featureReady", feature);
    } else {
      await shot(page, "13-fires");
    }
  });
});

test("what fires here cuts a very long text to the context and says so", { model: true, sae: true }, async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.evaluate(() => (location.hash = "#/fires"));
    await waitCounter(page, "firesReady", 0, 120000);
    const before = await counter(page, "firesReady");
    const long = "The quick brown fox jumps over the lazy dog. 😀 ".repeat(4000);
    await page.locator(".fires-input").fill(long);
    await waitCounter(page, "firesReady", before, 120000);
    const note = page.locator('[data-problem="truncated"]');
    check((await note.count()) === 1, "no message that the text was cut");
    t.note(await note.textContent());
  });
});

test("generate, twice with the same seed", { model: true }, async (t) => {
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    const texts = [];
    for (let i = 0; i < 2; i++) {
      const before = await counter(page, "generated");
      await page.locator(".generate-form textarea").fill("The ");
      await page.locator('.generate-form input[name="seed"]').fill("7");
      await page.locator('.generate-form input[name="max"]').fill("32");
      await page.locator(".generate-form button.primary").click();
      await waitCounter(page, "generated", before, 180000);
      const err = await page.locator(".samples .message.error").count();
      check(err === 0, `error: ${await page.locator(".samples").textContent()}`);
      check((await page.locator(".samples .sample").count()) === 1, "not one sample");
      texts.push(await page.locator(".samples .sample .tokens").textContent());
      const speed = await page.locator(".sample-speed").textContent();
      check(/tokens\/s/.test(speed), `no speed: ${speed}`);
      if (i === 0) t.note(speed);
    }
    check(texts[0].length > 0, "empty sample");
    check(texts[0] === texts[1], `same seed, different samples: ${JSON.stringify(texts)}`);
    await shot(page, "14-generate");
  });
});

test("pin a feature: normal and pinned samples side by side", { model: true, sae: true }, async (t) => {
  const f = pickFeature();
  if (!f) throw new Skip("no feature with examples");
  await withPage(t, {}, async (page) => {
    await load(page);
    check((await openFeature(page, f.id)) === "ok", "feature page error");
    const form = page.locator(".steering .generate-form");
    const value = Number(await form.locator('input[name="pin"]').inputValue());
    check(Math.abs(value - f.max_activation) <= 1e-3 * Math.max(1, f.max_activation), `pin value ${value}, max activation ${f.max_activation}`);
    const before = await counter(page, "generated");
    await form.locator("textarea").fill("The ");
    await form.locator("button.primary").click();
    await waitCounter(page, "generated", before, 180000);
    const samples = page.locator(".steering .sample");
    check((await samples.count()) === 2, `${await samples.count()} samples (${await page.locator(".steering .samples").textContent()})`);
    const [normal, pinned] = await samples.locator(".tokens").allTextContents();
    check(normal.length > 0 && pinned.length > 0, "an empty sample");
    t.note(normal === pinned ? "pinned sample equals the normal one" : "pinned sample differs from the normal one");
    await page.locator(".steering").scrollIntoViewIfNeeded();
    await shot(page, "15-pinned");
  });
});

test("a missing model file is named and the rest works", { model: true }, async (t) => {
  const path = `/data/${data.run.model}`;
  server.missing.add(path);
  await withPage(t, { allowedFailures: [path] }, async (page) => {
    await load(page);
    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    const before = await counter(page, "generated");
    await page.locator(".generate-form button.primary").click();
    await waitCounter(page, "generated", before);
    const text = await page.locator(".view").textContent();
    check(text.includes(data.run.model) && /missing/.test(text), `no message naming ${data.run.model}: ${text.slice(0, 300)}`);
    await waitFlag(page, "model", "error");
    const f = pickFeature();
    if (f) check((await openFeature(page, f.id)) === "ok", "features do not open");
    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    await shot(page, "16-missing-model");
  });
});

test("a truncated model file is named", { model: true }, async (t) => {
  const path = `/data/${data.run.model}`;
  server.truncate.set(path, 4096);
  await withPage(t, {}, async (page) => {
    await load(page);
    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    const before = await counter(page, "generated");
    await page.locator(".generate-form button.primary").click();
    await waitCounter(page, "generated", before);
    await waitFlag(page, "model", "error");
    const status = await page.locator(".model-status").textContent();
    check(status.includes(data.run.model.split("/").pop()), `status does not name the file: ${status}`);
    t.note(status);
  });
});

// -- The Labels page (#/labels) over data/labels.json ----------------------------------------------

/** data/labels.json as the test reads it, or null when this export has none. */
function exportedLabels() {
  try {
    return JSON.parse(readFileSync(join(dataDir, "labels.json"), "utf8"));
  } catch {
    return null;
  }
}
const columnOf = (label) => (label.labeler === "human" ? "human" : label.labeler_stage ?? label.labeler);
const shownValue = (v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : v.toFixed(2)); // as src/ui/format.ts

async function openLabels(page) {
  await load(page, "/labels");
  await waitFlag(page, "labelsView", (v) => v !== "loading");
}

/** The disagreement column's values, top to bottom (NaN for "–"). */
async function disagreements(page) {
  return page.locator(".labels-table tbody td.disagreement").evaluateAll((cells) => cells.map((c) => (c.dataset.value === "" ? NaN : Number(c.dataset.value))));
}

async function sortBy(page, sortKey, direction) {
  const before = await counter(page, "labelsRendered");
  await page.locator(`.labels-table th[data-sort="${sortKey}"]`).click();
  await waitCounter(page, "labelsRendered", before);
  if ((await page.evaluate(() => document.body.dataset.labelsSort)) !== `${sortKey}:${direction}`) {
    const again = await counter(page, "labelsRendered");
    await page.locator(`.labels-table th[data-sort="${sortKey}"]`).click();
    await waitCounter(page, "labelsRendered", again);
  }
  await waitFlag(page, "labelsSort", `${sortKey}:${direction}`);
}

function ordered(values, descending) {
  const known = values.filter((v) => !Number.isNaN(v));
  const nanFirst = values.findIndex((v) => Number.isNaN(v));
  check(nanFirst < 0 || values.slice(nanFirst).every((v) => Number.isNaN(v)), "rows without a value are not last");
  return known.every((v, i) => i === 0 || (descending ? v <= known[i - 1] : v >= known[i - 1]));
}

test("the Labels page: rows, sorting by disagreement and by a score, exported scores, the summary", async (t) => {
  const file = exportedLabels();
  if (!file?.features?.length) throw new Skip("this export has no labels (data/labels.json)");
  await withPage(t, {}, async (page) => {
    await openLabels(page);
    check((await page.evaluate(() => document.body.dataset.labelsView)) === "ready", "the page is not ready");
    const rows = page.locator(".labels-table tbody tr");
    check((await rows.count()) === Math.min(500, file.features.length), `${await rows.count()} rows for ${file.features.length} labelled features`);
    // The columns come from the data.
    const columns = [...new Set(file.features.flatMap((f) => f.labels.map(columnOf)))];
    const headers = await page.locator(".labels-table th.labeler").evaluateAll((ths) => ths.map((th) => th.dataset.column));
    check(headers.length === columns.length && columns.every((c) => headers.includes(c)), `labeler columns ${headers} for ${columns}`);

    // Sorted by disagreement, highest first; a click reverses it and the rows move.
    const highestFirst = await disagreements(page);
    check(ordered(highestFirst, true), "not sorted by disagreement, highest first");
    const firstBefore = await rows.first().getAttribute("data-feature");
    await sortBy(page, "disagreement", "asc");
    check(ordered(await disagreements(page), false), "not sorted by disagreement, lowest first");
    const firstAfter = await rows.first().getAttribute("data-feature");
    const distinct = new Set(highestFirst.filter((v) => !Number.isNaN(v))).size;
    check(distinct < 2 || firstBefore !== firstAfter, `sorting by disagreement left feature ${firstBefore} first`);
    t.note(`${file.features.length} labelled features; first by disagreement: #${firstBefore} (most), #${firstAfter} (least)`);

    await checkScoreColumn(page, file, t);
    await checkSummary(page, file, columns, t);
    await page.locator(".labels-table-holder").evaluate((holder) => (holder.scrollLeft = 0));
    await page.locator(".view").evaluate((view) => (view.scrollTop = 0));
    await shot(page, "20-labels");
  });
});

/** A score column shows the exported figure of a label, and sorting by it orders the rows. */
async function checkScoreColumn(page, file, t) {
  const scored = file.features.flatMap((f) => f.labels.flatMap((l) => Object.entries(l.scores).map(([scorer, value]) => ({ f, l, scorer, value }))));
  if (scored.length === 0) {
    check((await page.locator(".labels-summary .no-scores").count()) === 1, "no scores, and the page does not say so");
    return;
  }
  const { f, l, scorer, value } = scored[Math.floor(scored.length / 2)];
  const column = columnOf(l);
  const sortKey = `score:${column}:${scorer}`;
  await sortBy(page, sortKey, "desc");
  const cells = page.locator(`.labels-table tbody td.score[data-column="${column}"][data-scorer="${scorer}"]`);
  const means = await cells.evaluateAll((tds) =>
    tds.map((td) => {
      const v = [...td.querySelectorAll(".label-line")].map((d) => d.dataset.value).filter((x) => x !== "").map(Number);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    }),
  );
  check(ordered(means, true), `not sorted by ${sortKey}`);
  const before = await counter(page, "labelsRendered");
  await page.locator(".labels-filter").fill(String(f.feature));
  await waitCounter(page, "labelsRendered", before);
  const row = page.locator(`.labels-table tbody tr[data-feature="${f.feature}"]`);
  check((await page.locator(".labels-table tbody tr").count()) === 1, `filtering by ${f.feature} leaves other rows`);
  const texts = await row.locator(`td.label-cell[data-column="${column}"] bdi`).allTextContents();
  check(texts.includes(l.text), `feature ${f.feature}'s ${column} label “${l.text}” is not shown: ${texts}`);
  const lines = await row.locator(`td.score[data-column="${column}"][data-scorer="${scorer}"] .label-line`).evaluateAll((ds) => ds.map((d) => [d.dataset.value, d.textContent]));
  check(lines.some(([v, text]) => Number(v) === value && text === shownValue(value)), `feature ${f.feature}, ${column} ${scorer}: ${JSON.stringify(lines)}, exported ${value}`);
  t.note(`feature ${f.feature}: ${column} “${l.text}” ${scorer} ${value} shown as ${shownValue(value)}`);
  await page.locator(".labels-filter").fill("");
}

/** Per labeler and scorer, the number and mean of the exported scores; agreement counts. */
async function checkSummary(page, file, columns, t) {
  for (const column of columns)
    for (const scorer of file.scorers) {
      const values = file.features.flatMap((f) => f.labels.filter((l) => columnOf(l) === column && scorer in l.scores).map((l) => l.scores[scorer]));
      const cell = page.locator(`.score-summary tr[data-column="${column}"] td.distribution[data-scorer="${scorer}"]`);
      check((await cell.getAttribute("data-count")) === String(values.length), `${column} ${scorer}: count ${await cell.getAttribute("data-count")}, exported ${values.length}`);
      if (!values.length) continue;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      check(Math.abs(Number(await cell.getAttribute("data-mean")) - mean) < 1e-9, `${column} ${scorer}: mean ${await cell.getAttribute("data-mean")}, exported ${mean}`);
      check((await cell.locator("svg.sparkline rect.bar").count()) > 0, `${column} ${scorer}: no histogram`);
      check((await cell.textContent()).includes(`n = ${values.length}, mean ${shownValue(mean)}`), `${column} ${scorer}: “${await cell.textContent()}”`);
      t.note(`${column} ${scorer}: n = ${values.length}, mean ${shownValue(mean)}`);
    }
  if (columns.includes("human") && columns.length > 1) {
    const other = columns.find((c) => c !== "human" && file.features.some((f) => f.labels.some((l) => columnOf(l) === c && l.labeler === "llm"))) ?? columns.find((c) => c !== "human");
    const both = file.features.filter((f) => f.labels.some((l) => l.labeler === "human") && f.labels.some((l) => columnOf(l) === other)).length;
    const row = page.locator(`.labels-summary table.agreement tr[data-pair="human|${other}"]`);
    check((await row.getAttribute("data-features")) === String(both), `human vs ${other}: ${await row.getAttribute("data-features")} features, ${both} in the export`);
  }
}

test("the Labels page without data/labels.json says so", async (t) => {
  server.missing.add("/data/labels.json");
  await withPage(t, { allowedFailures: ["/data/labels.json"] }, async (page) => {
    await openLabels(page);
    const text = await page.locator(".view").textContent();
    check(/labels\.json is missing/.test(text), `message: ${text.slice(0, 300)}`);
  });
});

// -- Runner -------------------------------------------------------------------------------------

async function main() {
  server = await startServer({ siteDir, dataDir });
  browser = await launchBrowser();
  console.log(`e2e: site ${siteDir}\n     data ${dataDir} (${data.n} features, model: ${hasModel ? data.run.model : "none"})\n     served at ${server.url}, screenshots in ${shots}\n`);
  const results = [];
  try {
    for (const tc of tests) {
      if (only && !tc.name.includes(only)) continue;
      const t = { problems: [], notes: [], note: (s) => t.notes.push(s) };
      const start = Date.now();
      let status = "PASS";
      let detail = "";
      if (tc.model === true && !hasModel) [status, detail] = ["SKIP", "no model in this export"];
      else if (tc.model === false && hasModel) [status, detail] = ["SKIP", "this export has a model"];
      else if (tc.sae && !hasSae) [status, detail] = ["SKIP", "no dictionary in this export"];
      else {
        server.reset();
        try {
          await tc.fn(t);
        } catch (e) {
          if (e instanceof Skip) [status, detail] = ["SKIP", e.message];
          else [status, detail] = ["FAIL", e.message.split("\n").slice(0, 6).join("\n      ")];
        }
        server.reset();
        if (status !== "SKIP" && t.problems.length) {
          status = "FAIL";
          detail = [detail, ...t.problems].filter(Boolean).join("\n      ");
        }
      }
      const ms = Date.now() - start;
      results.push({ name: tc.name, status });
      console.log(`${status}  ${tc.name}  (${ms} ms)${detail ? `\n      ${detail}` : ""}${t.notes.length ? `\n      · ${t.notes.join("\n      · ")}` : ""}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const count = (s) => results.filter((r) => r.status === s).length;
  console.log(`\n${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped`);
  if (count("FAIL")) {
    console.log(`failed: ${results.filter((r) => r.status === "FAIL").map((r) => r.name).join("; ")}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`e2e: ${e.stack ?? e}`);
  process.exit(1);
});
