#!/usr/bin/env node
// End-to-end tests of the Related features panel in headless Chromium, over an export of every
// analysis stage of a run (`dictlab export RUN_DIR --all --out DIR`):
//
//   node e2e/related.mjs DIR
//
// Serves DIR/index.html at / and each stage's site at /STAGE/ (the built site, DICTLAB_SITE_BUILD,
// default ./dist, with DIR/STAGE/data/), so the links between the sites resolve as they do when
// DIR itself is served. What the panel must show is read from the exported shards. Screenshots go
// to DICTLAB_E2E_SCREENSHOTS (default /tmp/dictlab-e2e). Exits non-zero when a test fails.

import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, openPage, readExport, startServer, waitFlag } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const sitesDir = process.argv[2] ? resolve(process.argv[2]) : null;
if (!sitesDir || !existsSync(join(sitesDir, "index.html"))) {
  console.error("usage: node e2e/related.mjs DIR   (DIR: written by dictlab export RUN_DIR --all --out DIR)");
  process.exit(2);
}
const siteDir = resolve(process.env.DICTLAB_SITE_BUILD ?? join(here, "..", "dist"));
const shots = resolve(process.env.DICTLAB_E2E_SCREENSHOTS ?? "/tmp/dictlab-e2e");
mkdirSync(shots, { recursive: true });

const stages = readdirSync(sitesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(sitesDir, d.name, "data", "run.json")))
  .map((d) => d.name)
  .sort();
const exports = new Map(stages.map((s) => [s, readExport(join(sitesDir, s, "data"))]));

class Skip extends Error {}
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Every exported feature of a stage, shard by shard. */
function* featuresOf(stage) {
  const data = exports.get(stage);
  for (let s = 0; s < data.nShards; s++) yield* data.shard(s) ?? [];
}

/** As the page formats a correlation or cosine (src/ui/format.ts, formatValue). */
const formatValue = (v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : v.toFixed(2));
const where = (model, dictionary) => (model ? `${model} / ${dictionary}` : dictionary);

const entriesOf = (r) => [...(r.twins ?? []), ...(r.parents ?? []), ...(r.children ?? [])];

/** The first feature (of any stage) that `test` accepts, with its stage. */
function find(test) {
  for (const stage of stages) for (const f of featuresOf(stage)) if (test(f)) return { stage, f };
  return null;
}

/** Where an href from STAGE's site leads: [stage, feature id]. */
function target(stage, href) {
  const url = new URL(href, `http://x/${stage}/`);
  return [url.pathname.split("/")[1], Number(url.hash.replace("#/feature/", ""))];
}

/** The panel's lines as the page groups them (data/related.ts): [kind, dictionary, entries, more]. */
function expectedLines(r) {
  const lines = [];
  const add = (kind, entries, more = {}) => {
    for (const dictionary of [...new Set(entries.map((e) => e.dictionary))])
      lines.push([kind, dictionary, entries.filter((e) => e.dictionary === dictionary), more[dictionary] ?? 0]);
  };
  add("twin", (r.twins ?? []).filter((t) => t.direction !== "best_match_of"));
  add("parent", r.parents ?? []);
  add("children", r.children ?? [], r.more_children);
  add("matched", (r.twins ?? []).filter((t) => t.direction === "best_match_of"), r.more_twins);
  return lines;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
let server;
let browser;

async function withPage(t, fn) {
  const session = await openPage(browser);
  try {
    return await fn(session.page);
  } finally {
    t.problems.push(...session.problems);
    if (session.external.length) t.problems.push(`requests outside 127.0.0.1 (aborted): ${session.external.join(", ")}`);
    await session.close();
  }
}

async function openFeature(page, stage, id) {
  await page.goto(`${server.url}${stage}/#/feature/${id}`);
  await waitFlag(page, "ready", "1");
  await waitFlag(page, "featureReady", String(id));
  check((await page.evaluate(() => document.body.dataset.featureStatus)) === "ok", `${stage} #${id}: the page ended in an error`);
}

// -- Tests --------------------------------------------------------------------------------------

test("the index lists every dictionary's site and each opens", async (t) => {
  check(stages.length >= 2, `${sitesDir} holds ${stages.length} site(s); the links need two`);
  await withPage(t, async (page) => {
    await page.goto(server.url);
    for (const stage of stages) check((await page.locator(`a[href="${stage}/"]`).count()) === 1, `no link to ${stage}/`);
    await page.locator(`a[href="${stages[1]}/"]`).click();
    await waitFlag(page, "ready", "1");
    check(new URL(page.url()).pathname === `/${stages[1]}/`, `at ${page.url()}`);
    t.note(`${stages.join(", ")}`);
  });
});

test("the Related section shows twins, parent and children, linked where the other site exists", async (t) => {
  // The feature with the most kinds of relation, so that one page shows them all.
  let best = null;
  for (const stage of stages)
    for (const f of featuresOf(stage)) {
      const n = f.related ? expectedLines(f.related).length : 0;
      if (n > (best?.n ?? 0)) best = { stage, f, n };
    }
  if (!best) throw new Skip("no feature has related features in this export");
  const { stage, f } = best;
  await withPage(t, async (page) => {
    await openFeature(page, stage, f.id);
    const panel = page.locator("section.related");
    check((await panel.count()) === 1, "no Related features section");
    const lines = expectedLines(f.related);
    check((await panel.locator(".related-list > li").count()) === lines.length, `${await panel.locator(".related-list > li").count()} lines, ${lines.length} expected`);
    for (const [kind, dictionary, entries, more] of lines) {
      const li = panel.locator(`li[data-kind="${kind}"][data-dictionary="${dictionary}"]`);
      check((await li.count()) === 1, `no ${kind} line for ${dictionary}`);
      const text = await li.textContent();
      const list = entries.length > 1 ? `${entries.length + more}, by correlation` : "";
      const head = { twin: `Twin in ${where(entries[0].model, dictionary)}:`, parent: `Parent in ${dictionary}:`,
        children: `Children in ${dictionary} (${list || entries.length + more}):`,
        matched: `Best match of, in ${where(entries[0].model, dictionary)}${list ? ` (${list})` : ""}:` }[kind];
      check(text.startsWith(head), `line “${text.slice(0, 80)}” does not start with “${head}”`);
      const items = li.locator(".related-item");
      check((await items.count()) === entries.length, `${kind} ${dictionary}: ${await items.count()} items, ${entries.length} exported`);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const item = items.nth(i);
        const name = item.locator(e.href ? "a.related-link" : "span.related-id");
        check((await name.count()) === 1, `${kind} #${e.feature}: ${e.href ? "no link" : "a link, though nothing to open"}`);
        check((await name.textContent()) === `#${e.feature}`, `${kind}: shows ${await name.textContent()}, exported #${e.feature}`);
        if (e.href) check((await name.getAttribute("href")) === e.href, `${kind} #${e.feature}: href ${await name.getAttribute("href")}`);
        // Alone on its line: "#17, correlation 0.83, cosine 0.77"; in a list: "#5 (0.83)".
        const said = entries.length > 1 ? ` (${formatValue(e.correlation)})` : `, correlation ${formatValue(e.correlation)}`;
        if (typeof e.correlation === "number") check((await item.textContent()) === `#${e.feature}${said}${entries.length > 1 || typeof e.cosine !== "number" ? "" : `, cosine ${formatValue(e.cosine)}`}`, `${kind} #${e.feature}: “${await item.textContent()}”`);
      }
      if (more) check(text.includes(`and ${more} more`), `${kind} ${dictionary}: does not say ${more} more`);
    }
    t.note(`${stage} #${f.id}: ${lines.map(([k, d, e]) => `${k} ${d} ×${e.length}`).join(", ")}`);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "30-related.png") });
  });
});

test("a link opens the related feature in the other dictionary's site, and its link back returns", async (t) => {
  const found = find((f) => f.related && entriesOf(f.related).some((e) => e.href && exports.has(target("any", e.href)[0])));
  if (!found) throw new Skip("no related feature is linked to an exported site");
  const { stage, f } = found;
  const e = entriesOf(f.related).find((e) => e.href && exports.has(target("any", e.href)[0]));
  const [otherStage, otherId] = target(stage, e.href);
  await withPage(t, async (page) => {
    await openFeature(page, stage, f.id);
    await page.locator(`section.related a.related-link[href="${e.href}"]`).first().click();
    await page.waitForURL((url) => url.pathname === `/${otherStage}/` && url.hash === `#/feature/${otherId}`);
    await waitFlag(page, "featureReady", String(otherId));
    check((await page.evaluate(() => document.body.dataset.featureStatus)) === "ok", `${otherStage} #${otherId} ended in an error`);
    const title = await page.locator(".feature-header h2").textContent();
    check(title.startsWith(`Feature #${otherId}`), `the page shows “${title}”`);
    t.note(`${stage} #${f.id} → ${otherStage} #${otherId}`);
    const back = `../${stage}/#/feature/${f.id}`;
    const other = exports.get(otherStage).feature(otherId);
    if (!other?.related || !entriesOf(other.related).some((r) => r.href === back)) {
      t.note(`${otherStage} #${otherId} has no link back`);
      return;
    }
    await page.locator(`section.related a.related-link[href="${back}"]`).first().click();
    await page.waitForURL((url) => url.pathname === `/${stage}/` && url.hash === `#/feature/${f.id}`);
    await waitFlag(page, "featureReady", String(f.id));
    t.note(`and back to ${stage} #${f.id}`);
  });
});

test("a long list shows the strongest and says how many more the export left out", async (t) => {
  const found = find((f) => Object.keys(f.related?.more_children ?? {}).length > 0);
  if (!found) throw new Skip("no feature has more children than the export lists");
  const { stage, f } = found;
  const [dictionary, more] = Object.entries(f.related.more_children)[0];
  const listed = f.related.children.filter((c) => c.dictionary === dictionary);
  await withPage(t, async (page) => {
    await openFeature(page, stage, f.id);
    const li = page.locator(`section.related li[data-kind="children"][data-dictionary="${dictionary}"]`);
    check((await li.locator(".related-item").count()) === listed.length, `${await li.locator(".related-item").count()} children shown, ${listed.length} listed`);
    const text = await li.textContent();
    check(text.includes(`(${listed.length + more}, by correlation)`) && text.endsWith(`and ${more} more`), `line: ${text}`);
    const first = await li.locator(".related-item").first().textContent();
    check(first === `#${listed[0].feature} (${formatValue(listed[0].correlation)})`, `first child “${first}”`);
    t.note(`${stage} #${f.id}: ${listed.length} children in ${dictionary} and ${more} more`);
    await li.screenshot({ path: join(shots, "31-related-more.png") });
  });
});

test("a feature with no relations has no Related section", async (t) => {
  const found = find((f) => !f.related);
  if (!found) throw new Skip("every feature has related features");
  await withPage(t, async (page) => {
    await openFeature(page, found.stage, found.f.id);
    check((await page.locator("section.related").count()) === 0, "a Related section with nothing in it");
  });
});

// -- Runner -------------------------------------------------------------------------------------

async function main() {
  server = await startServer({ siteDir, sitesDir });
  browser = await launchBrowser();
  console.log(`e2e related: site ${siteDir}\n     sites ${sitesDir} (${stages.join(", ")})\n     served at ${server.url}\n`);
  let failed = 0;
  let passed = 0;
  try {
    for (const tc of tests) {
      const t = { problems: [], notes: [], note: (s) => t.notes.push(s) };
      const start = Date.now();
      let [status, detail] = ["PASS", ""];
      try {
        await tc.fn(t);
      } catch (e) {
        [status, detail] = e instanceof Skip ? ["SKIP", e.message] : ["FAIL", e.message.split("\n").slice(0, 6).join("\n      ")];
      }
      if (status !== "SKIP" && t.problems.length) [status, detail] = ["FAIL", [detail, ...t.problems].filter(Boolean).join("\n      ")];
      if (status === "FAIL") failed++;
      if (status === "PASS") passed++;
      console.log(`${status}  ${tc.name}  (${Date.now() - start} ms)${detail ? `\n      ${detail}` : ""}${t.notes.length ? `\n      · ${t.notes.join("\n      · ")}` : ""}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`\n${passed} passed, ${failed} failed, ${tests.length - passed - failed} skipped`);
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error(`e2e: ${e.stack ?? e}`);
  process.exit(1);
});
