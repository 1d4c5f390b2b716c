#!/usr/bin/env node
// End-to-end tests of human labelling (#/label) against the real `dictlab serve`.
//
//   node e2e/labels.mjs RUN_DIR      (a run directory with a finished feature_analysis stage)
//
// Env: DICTLAB_BINARY  the dictlab executable (default build/dictlab at the top of the repository)
//      DICTLAB_SITE_BUILD  serve this built site (`npx vite build`) instead of the one dictlab
//                     finds beside itself: the binary is then copied into a temporary folder
//                     with site/ -> this build next to it
//      DICTLAB_E2E_SCREENSHOTS  where screenshots go (default /tmp/dictlab-e2e)
//      DICTLAB_E2E_ONLY  run only tests whose name contains this text
//      DICTLAB_E2E_DEBUG  print each step of a test as it starts, with the time
//
// It starts `dictlab serve RUN_DIR --port 0` itself, reads the address from its output, and
// stops it with SIGINT at the end. The server writes RUN_DIR/site (the export) and
// RUN_DIR/labels.sqlite; every run labels under fresh author names, so runs don't collide.
// As in run.mjs: only 127.0.0.1 is reachable, a page or console error fails the test (except the
// failures a test provokes), and tests wait on the page's data-* flags (src/ui/flags.ts).

import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { counter, launchBrowser, openPage, readExport, startServer, waitCounter, waitFlag } from "./lib.mjs";

const runDir = process.argv[2] ? resolve(process.argv[2]) : null;
if (!runDir) {
  console.error("usage: node e2e/labels.mjs RUN_DIR");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.env.DICTLAB_BINARY ?? join(here, "..", "..", "..", "build", "dictlab"));
const siteBuild = process.env.DICTLAB_SITE_BUILD ? resolve(process.env.DICTLAB_SITE_BUILD) : null;
const shots = resolve(process.env.DICTLAB_E2E_SCREENSHOTS ?? "/tmp/dictlab-e2e");
const only = process.env.DICTLAB_E2E_ONLY ?? "";
mkdirSync(shots, { recursive: true });

const stamp = Date.now().toString(36);
const who = (name) => `e2e-${name}-${stamp}`;

class Skip extends Error {}
let step = ""; // what the running test is doing, said when it fails
const at = (what) => {
  if (process.env.DICTLAB_E2E_DEBUG) console.log(`  ${new Date().toISOString().slice(11, 23)} ${what}`);
  step = what;
};
function check(condition, message) {
  if (!condition) throw new Error(message);
}

// -- The server ------------------------------------------------------------------------------

let server = null; // { url, child, output(), exited }
let data = null; // readExport of RUN_DIR/site/data
let scratch = null;

function startDictlab() {
  let exe = binary;
  if (siteBuild) {
    // dictlab exports the site it finds next to its executable (resolved through symlinks).
    scratch = mkdtempSync(join(tmpdir(), "dictlab-labels-e2e-"));
    exe = join(scratch, "dictlab");
    copyFileSync(binary, exe);
    chmodSync(exe, 0o755);
    symlinkSync(siteBuild, join(scratch, "site"));
  }
  const child = spawn(exe, ["serve", runDir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`dictlab serve printed no address in 180 s:\n${out}`)), 180000);
    const take = (chunk) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: `http://127.0.0.1:${m[1]}/`, child, exited, output: () => out });
      }
    };
    child.stdout.setEncoding("utf8").on("data", take);
    child.stderr.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    child.on("error", (e) => {
      clearTimeout(timer);
      fail(new Error(`cannot start ${exe}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`dictlab serve ended (code ${code}, signal ${signal}) before listening:\n${out}`));
    });
  });
}

async function stopDictlab() {
  if (!server) return null;
  server.child.kill("SIGINT");
  const result = await Promise.race([server.exited, new Promise((done) => setTimeout(() => done(null), 15000))]);
  if (result === null) server.child.kill("SIGKILL");
  return result;
}

/** A call to the API from node (not through the page), to check what was stored. */
async function api(path, init) {
  const response = await fetch(new URL(`api/${path}`, server.url), init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text, json: () => JSON.parse(text) };
}

async function labelsBy(author) {
  const r = await api(`labels?author=${encodeURIComponent(author)}`);
  check(r.status === 200, `GET api/labels?author=${author}: HTTP ${r.status} ${r.text}`);
  return r.json().labels;
}

async function labelsOf(feature) {
  const r = await api(`labels?feature=${feature}`);
  check(r.status === 200, `GET api/labels?feature=${feature}: HTTP ${r.status} ${r.text}`);
  return r.json().labels;
}

// -- Pages -----------------------------------------------------------------------------------

const tests = [];
function test(name, fn) {
  tests.push({ name, fn });
}

let browser;

async function withPages(t, count, { allowedFailures = [] } = {}, fn) {
  const sessions = [];
  try {
    for (let i = 0; i < count; i++) sessions.push(await openPage(browser, { allowedFailures }));
    return await fn(...sessions.map((s) => s.page));
  } finally {
    for (const s of sessions) {
      t.problems.push(...s.problems);
      if (s.external.length) t.problems.push(`requests outside 127.0.0.1 (aborted): ${s.external.join(", ")}`);
      await s.close();
    }
  }
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

const labelId = (page) => page.evaluate(() => document.body.dataset.labelReady ?? null);

/** Waits until the label page shows a feature other than `previous` (or "done"). */
async function waitShown(page, previous = null, timeout = 30000) {
  await page.waitForFunction(
    (previous) => {
      const v = document.body.dataset.labelReady;
      return v !== undefined && v !== previous;
    },
    previous === null ? null : String(previous),
    { timeout, polling: 50 },
  );
  return labelId(page);
}

/** Opens #/label (or `hash`) as `name`, giving the name if asked; resolves to the id shown. */
async function startLabelling(page, name, hash = "#/label") {
  await page.goto(`${server.url}${hash}`);
  await waitFlag(page, "ready", "1");
  await waitFlag(page, "labelView", (v) => v === "name" || v === "feature" || v === "done");
  if ((await page.evaluate(() => document.body.dataset.labelView)) === "name") {
    await page.locator(".name-input").fill(name);
    await page.locator(".name-input").press("Enter");
  }
  await waitFlag(page, "labelView", "feature");
  return waitShown(page);
}

async function saved(page, before) {
  await waitCounter(page, "labelSaved", before);
}

// -- Tests -----------------------------------------------------------------------------------

test("api/status answers under dictlab serve", async () => {
  const r = await api("status");
  check(r.status === 200, `api/status: HTTP ${r.status}`);
  const s = r.json();
  check(s.labelling === true, `api/status: ${r.text}`);
  check(s.n_features === data.n, `api/status says ${s.n_features} features, run.json ${data.n}`);
});

const ada = who("ada");
const adaLabels = new Map(); // id -> {text, rubric}

test("label three features with rubric; a reload keeps them; back shows them for editing", async (t) => {
  await withPages(t, 1, {}, async (page) => {
    at("opening #/label and giving a name");
    const first = await startLabelling(page, ada);
    check(await page.locator('.top-nav a[data-route="label"]').isVisible(), "the nav has no visible Label link");
    const f = data.feature(Number(first));
    if (f?.top_examples?.length) {
      const shown = await page.locator(".label-evidence .top-examples .example").count();
      check(shown === f.top_examples.length, `${shown} top examples shown, ${f.top_examples.length} in the shard`);
      check((await page.locator(".label-evidence .tok.lit").count()) > 0, "no highlighted tokens");
    }
    check((await page.locator(".label-evidence svg.histogram").count()) === (f?.histogram ? 1 : 0), "histogram missing");
    check((await page.locator(".label-evidence .logits").count()) === 1, "logit effects missing");
    check((await page.locator(".label-evidence .intervals").count()) === 1, "interval samples missing");
    await shot(page, "labels-01-first");

    // 1: type, Esc, the rubric by key, Enter.
    at("saving the first label (Esc, 3, Enter)");
    let id = Number(first);
    let before = await counter(page, "labelSaved");
    await page.locator(".label-input").fill("first e2e label, with a comma");
    await page.keyboard.press("Escape");
    await page.keyboard.press("3");
    check((await page.locator('.rubric-button[data-rubric="3"]').getAttribute("aria-checked")) === "true", "key 3 did not pick rubric 3");
    await page.keyboard.press("Enter");
    await saved(page, before);
    adaLabels.set(id, { text: "first e2e label, with a comma", rubric: 3 });
    let next = Number(await waitShown(page, id));
    check(!adaLabels.has(next), "the page did not move on");
    check((await page.locator(".label-status.ok").textContent()).includes(`#${id}`), "no saved note for the first label");

    // 2: type, click a rubric button, Enter in the box.
    at("saving the second label (click rubric, Enter in the box)");
    id = next;
    before = await counter(page, "labelSaved");
    await page.locator(".label-input").fill("second: «quotes» and Unicode 🙂 العربية");
    await page.locator('.rubric-button[data-rubric="1"]').click();
    await page.locator(".label-input").press("Enter");
    await saved(page, before);
    adaLabels.set(id, { text: "second: «quotes» and Unicode 🙂 العربية", rubric: 1 });
    next = Number(await waitShown(page, id));

    // 3: rubric first (focus is in the box, so Esc), then the text, then the Save button.
    at("saving the third label (Esc, 4, e, type, Save button)");
    id = next;
    before = await counter(page, "labelSaved");
    await page.keyboard.press("Escape");
    await page.keyboard.press("4");
    await page.keyboard.press("e");
    await page.keyboard.type("third label");
    check((await page.locator(".label-input").inputValue()) === "third label", "e did not focus the box (or typed into it)");
    await page.locator(".label-save").click();
    await saved(page, before);
    adaLabels.set(id, { text: "third label", rubric: 4 });
    next = Number(await waitShown(page, id));

    const progress = await page.locator(".label-progress").textContent();
    check(progress.includes("3 labelled of"), `progress says “${progress}”`);

    // Skip (s), skip (→), back (←): the skipped one again, unlabelled.
    at("skipping and going back");
    await page.keyboard.press("Escape");
    await page.keyboard.press("s");
    const afterS = Number(await waitShown(page, next));
    await page.keyboard.press("ArrowLeft");
    check(Number(await waitShown(page, afterS)) === next, "← did not go back to the skipped feature");
    check((await page.locator(".label-input").inputValue()) === "", "a skipped feature has text");
    await page.keyboard.press("Escape");
    await page.keyboard.press("ArrowRight");
    check(Number(await waitShown(page, next)) === afterS, "→ did not skip");

    // Stored as made.
    const stored = await labelsBy(ada);
    check(stored.length === 3, `${stored.length} labels stored for ${ada}`);
    for (const [fid, want] of adaLabels) {
      const l = stored.find((s) => s.feature === fid);
      check(l && l.text === want.text && l.rubric === want.rubric && l.labeler === "human", `feature ${fid}: stored ${JSON.stringify(l)}`);
    }

    // Reload: no name asked, a queue without the labelled ones; going back shows them.
    at("reloading and going back over the labels");
    await page.reload();
    await waitFlag(page, "labelView", "feature");
    let shown = Number(await waitShown(page));
    check(!adaLabels.has(shown), `after reload the queue starts with labelled feature ${shown}`);
    const progress2 = await page.locator(".label-progress").textContent();
    check(progress2.includes("3 by you"), `progress after reload says “${progress2}”`);
    const seen = new Set();
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press("Escape");
      await page.keyboard.press("ArrowLeft");
      shown = Number(await waitShown(page, shown));
      const want = adaLabels.get(shown);
      check(want, `going back reached feature ${shown}, not one labelled`);
      check((await page.locator(".label-input").inputValue()) === want.text, `feature ${shown} shows “${await page.locator(".label-input").inputValue()}”`);
      check((await page.locator(`.rubric-button[data-rubric="${want.rubric}"]`).getAttribute("aria-checked")) === "true", `feature ${shown}: rubric not shown`);
      check(await page.locator(".label-badge").isVisible(), "no “labelled” badge");
      seen.add(shown);
    }
    check(seen.size === 3, "going back did not visit the three labels");
    await shot(page, "labels-02-back-editing");

    // Edit the one shown: replaced, not added.
    at("editing a label");
    before = await counter(page, "labelSaved");
    await page.locator(".label-input").fill(`${adaLabels.get(shown).text} (edited)`);
    await page.locator(".label-input").press("Enter");
    await saved(page, before);
    adaLabels.set(shown, { ...adaLabels.get(shown), text: `${adaLabels.get(shown).text} (edited)` });
    const after = await labelsBy(ada);
    check(after.length === 3, `${after.length} labels after an edit`);
    check(after.find((l) => l.feature === shown)?.text === adaLabels.get(shown).text, "the edit was not stored");

    // The feature page shows the live label.
    at("opening the feature page");
    await page.evaluate((h) => (location.hash = h), `#/feature/${shown}`);
    await waitFlag(page, "labelsReady", String(shown));
    const list = await page.locator(".labels").textContent();
    check(list.includes(adaLabels.get(shown).text) && list.includes(ada), `the feature page's labels: ${list}`);
    await shot(page, "labels-03-feature-page");
  });
});

test("two authors label the same feature at once: both kept", async (t) => {
  // A live feature with examples that this run has not labelled yet.
  let x = null;
  for (let s = 0; s < data.nShards && x === null; s++) {
    for (const f of data.shard(s) ?? []) {
      if (f.density > 0 && f.top_examples?.length && !adaLabels.has(f.id)) {
        x = f.id;
        break;
      }
    }
  }
  if (x === null) throw new Skip("no live feature with examples");
  const bo = who("bo");
  const cy = who("cy");
  await withPages(t, 2, {}, async (b, c) => {
    at("opening #/label?feature=X on two pages");
    const [xb, xc] = await Promise.all([startLabelling(b, bo, `#/label?feature=${x}`), startLabelling(c, cy, `#/label?feature=${x}`)]);
    check(Number(xb) === x && Number(xc) === x, `#/label?feature=${x} showed ${xb} and ${xc}`);
    await b.locator(".label-input").fill("bo's label");
    await c.locator(".label-input").fill("cy's label");
    await c.keyboard.press("Escape");
    await c.keyboard.press("2");
    at("saving on both pages at once");
    const [sb, sc] = [await counter(b, "labelSaved"), await counter(c, "labelSaved")];
    await Promise.all([b.locator(".label-input").press("Enter"), c.keyboard.press("Enter")]);
    await Promise.all([saved(b, sb), saved(c, sc)]);
    let labels = await labelsOf(x);
    const mine = (author) => labels.filter((l) => l.author === author);
    check(mine(bo).length === 1 && mine(bo)[0].text === "bo's label" && mine(bo)[0].rubric === null, `bo: ${JSON.stringify(mine(bo))}`);
    check(mine(cy).length === 1 && mine(cy)[0].text === "cy's label" && mine(cy)[0].rubric === 2, `cy: ${JSON.stringify(mine(cy))}`);

    // Back on x, each sees the other's label.
    at("going back to the feature on bo's page");
    const nextB = await waitShown(b, x);
    await b.keyboard.press("Escape");
    await b.keyboard.press("ArrowLeft");
    check(Number(await waitShown(b, nextB)) === x, "bo's ← did not reach the feature");
    const others = await b.locator(".label-others").textContent();
    check(others.includes("cy's label") && others.includes(cy), `bo's page shows other labels “${others}”`);
    check(!others.includes(bo), "bo's own label is listed among the others");
    await shot(b, "labels-04-others");

    // bo edits: bo's label replaced, cy's kept.
    at("editing bo's label");
    const sb2 = await counter(b, "labelSaved");
    await b.locator(".label-input").fill("bo's second thought");
    await b.locator(".label-input").press("Enter");
    await saved(b, sb2);
    labels = await labelsOf(x);
    check(mine(bo).length === 1 && mine(bo)[0].text === "bo's second thought", `bo after edit: ${JSON.stringify(mine(bo))}`);
    check(mine(cy).length === 1 && mine(cy)[0].text === "cy's label", `cy after bo's edit: ${JSON.stringify(mine(cy))}`);

    // The feature page lists both.
    at("opening the feature page");
    await c.evaluate((h) => (location.hash = h), `#/feature/${x}`);
    await waitFlag(c, "labelsReady", String(x));
    const list = await c.locator(".labels").textContent();
    check(list.includes("bo's second thought") && list.includes("cy's label"), `feature page labels: ${list}`);
    await shot(c, "labels-05-feature-both");
  });
});

test("an invalid save (empty text) shows the error; a failed save keeps the text", async (t) => {
  const di = who("di");
  await withPages(t, 1, { allowedFailures: ["/api/labels"] }, async (page) => {
    at("opening #/label");
    const id = await startLabelling(page, di);
    at("saving an empty label");
    const failed = await counter(page, "labelFailed");
    await page.locator(".label-input").fill("   ");
    await page.locator(".label-save").click();
    await waitCounter(page, "labelFailed", failed);
    const error = page.locator(".label-status.error");
    check(await error.isVisible(), "no error shown");
    const said = await error.textContent();
    check(/text/i.test(said), `the error does not name the text: “${said}”`);
    check((await labelId(page)) === id, "the page moved on after a failed save");
    await shot(page, "labels-06-invalid");

    // The server down (the request fails): the error, and the text is kept.
    at("saving while the request fails");
    await page.route("**/api/labels", (route) => (route.request().method() === "POST" ? route.abort("connectionrefused") : route.continue()));
    const failed2 = await counter(page, "labelFailed");
    await page.locator(".label-input").fill("kept through a failure");
    await page.keyboard.press("Escape");
    await page.keyboard.press("0");
    await page.keyboard.press("Control+Enter");
    await waitCounter(page, "labelFailed", failed2);
    check((await page.locator(".label-input").inputValue()) === "kept through a failure", "the text was lost after a failed save");
    check((await page.locator(".label-status.error").textContent()).includes("Not saved"), "no error after a failed request");
    await page.unroute("**/api/labels");

    // Still usable: the same text saves now.
    at("saving again");
    const before = await counter(page, "labelSaved");
    await page.locator(".label-input").press("Enter");
    await saved(page, before);
    await waitShown(page, id);
    check((await page.locator(".label-status.error").count()) === 0, "the error is still shown after a good save");
    const stored = await labelsBy(di);
    check(stored.length === 1 && stored[0].text === "kept through a failure" && stored[0].rubric === 0, `stored: ${JSON.stringify(stored)}`);
  });
});

test("export CSV and JSONL hold the labels; import adds some", async (t) => {
  if (adaLabels.size === 0) throw new Skip("the labelling test did not run");
  const eve = who("eve");
  await withPages(t, 1, {}, async (page) => {
    at("downloading the CSV export");
    await startLabelling(page, ada);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".export-csv").click()]);
    const csv = readFileSync(await download.path(), "utf8");
    check(/^feature,author,text,rubric,created_at\r?\n/.test(csv), `CSV header: ${csv.split("\n")[0]}`);
    for (const [id, want] of adaLabels) {
      const line = csv.split(/\r?\n/).find((l) => l.startsWith(`${id},`) && l.includes(ada));
      check(line && line.includes(want.text.replace(/"/g, '""')), `no CSV row for ${ada} on ${id} with “${want.text}”: ${line}`);
    }
    const jsonl = await api("labels/export?format=jsonl");
    check(jsonl.status === 200, `JSONL export: HTTP ${jsonl.status}`);
    const rows = jsonl.text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    for (const [id, want] of adaLabels) {
      check(rows.some((r) => r.feature === id && r.author === ada && r.text === want.text && r.rubric === want.rubric), `JSONL misses ${ada} on ${id}`);
    }
    t.note(`CSV export: ${csv.split("\n").length - 2} rows`);

    // Import a CSV with one label by another author.
    at("importing a CSV");
    const target = [...adaLabels.keys()][0];
    const file = join(shots, "import.csv");
    writeFileSync(file, `feature,author,text,rubric,created_at\n${target},${eve},"imported, from a file",2,2026-11-25T12:00:00Z\n`);
    const before = await counter(page, "labelImported");
    await page.locator(".label-import-file").setInputFiles(file);
    await waitCounter(page, "labelImported", before);
    const status = await page.locator(".label-io-status").textContent();
    check(/Imported 1 label/.test(status), `import says “${status}”`);
    const eves = await labelsBy(eve);
    check(eves.length === 1 && eves[0].feature === target && eves[0].text === "imported, from a file" && eves[0].rubric === 2, `imported: ${JSON.stringify(eves)}`);
    await shot(page, "labels-07-imported");
  });
});

test("the Labels page shows people's labels live, keeping the scores of the exported ones", async (t) => {
  const lu = who("lu");
  const feature = data.n - 1;
  const text = `lu's live label ${Date.now()}`;
  const posted = await api("labels", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ feature, author: lu, text }) });
  check(posted.status === 201, `POST api/labels: HTTP ${posted.status} ${posted.text}`);
  await withPages(t, 1, {}, async (page) => {
    await page.goto(`${server.url}#/labels`);
    await waitFlag(page, "ready", "1");
    await waitFlag(page, "labelsView", "ready");
    check(/live from dictlab serve/.test(await page.locator(".view").textContent()), "the page does not say people's labels are live");
    // A person's label the export scored keeps its scores.
    const exported = JSON.parse(readFileSync(join(runDir, "site", "data", "labels.json"), "utf8"));
    const scored = exported.features.flatMap((f) => f.labels.filter((l) => l.labeler === "human" && Object.keys(l.scores).length).map((l) => [f.feature, l]))[0];
    if (scored) {
      const [id, label] = scored;
      const [scorer, value] = Object.entries(label.scores)[0];
      const cell = page.locator(`.labels-table tr[data-feature="${id}"] td.score[data-column="human"][data-scorer="${scorer}"] .label-line[data-value="${value}"]`);
      check((await cell.count()) >= 1, `feature ${id}: ${label.author}'s ${scorer} ${value} is not shown`);
    }
    const before = await counter(page, "labelsRendered");
    await page.locator(".labels-filter").fill(lu);
    await waitCounter(page, "labelsRendered", before);
    const row = page.locator(`.labels-table tbody tr[data-feature="${feature}"]`);
    check((await row.count()) === 1, `feature ${feature}, labelled by ${lu} since the export, is not listed`);
    const texts = await row.locator('td.label-cell[data-column="human"] bdi').allTextContents();
    check(texts.includes(text), `feature ${feature}'s human labels: ${texts}`);
    await shot(page, "labels-09-labels-page");
  });
});

test("a static server has no labelling: the Label link is hidden and #/label says why", async (t) => {
  const siteDir = join(runDir, "site");
  const statik = await startServer({ siteDir, dataDir: join(siteDir, "data") });
  try {
    const session = await openPage(browser, { allowedFailures: ["/api/status"] });
    try {
      const page = session.page;
      await page.goto(statik.url);
      await waitFlag(page, "ready", "1");
      await waitFlag(page, "labelApi", "no");
      check(!(await page.locator('.top-nav a[data-route="label"]').isVisible()), "the Label link shows on a static server");
      await page.evaluate(() => (location.hash = "#/label"));
      await waitFlag(page, "labelView", "off");
      const text = await page.locator(".view").textContent();
      check(text.includes("dictlab serve"), `#/label says “${text.slice(0, 200)}”`);
      await shot(page, "labels-08-static");
      const f = [...adaLabels.keys()][0] ?? 0;
      await page.evaluate((h) => (location.hash = h), `#/feature/${f}`);
      await waitFlag(page, "featureReady", String(f));
      await waitFlag(page, "labelsReady", String(f));
      check((await page.evaluate(() => document.body.dataset.featureStatus)) === "ok", "a feature page failed on the static server");
      check(!(await page.locator(".label-it").count()), "a “label it” link on a static server");
    } finally {
      t.problems.push(...session.problems);
      await session.close();
    }
  } finally {
    await statik.close();
  }
});

// -- Runner ----------------------------------------------------------------------------------

async function main() {
  const start = Date.now();
  server = await startDictlab();
  console.log(`labels e2e: ${binary}${siteBuild ? ` with site ${siteBuild}` : ""}\n     serve ${runDir} at ${server.url} (ready in ${Date.now() - start} ms), screenshots in ${shots}\n`);
  data = readExport(join(runDir, "site", "data"));
  // The site dictlab serves must have the label page (build/site is rebuilt by the cmake build).
  const index = await (await fetch(server.url)).text();
  const script = /<script[^>]+src="([^"]+)"/.exec(index)?.[1];
  const bundle = script ? await (await fetch(new URL(script, server.url))).text() : "";
  if (!bundle.includes("labelView")) {
    await stopDictlab();
    throw new Error(
      `the site served from ${join(runDir, "site")} has no label page: rebuild it (cmake --build build, or npx vite build) ` +
        "or point DICTLAB_SITE_BUILD at a fresh build",
    );
  }
  browser = await launchBrowser();
  const results = [];
  let stopped = null;
  try {
    for (const tc of tests) {
      if (only && !tc.name.includes(only)) continue;
      const t = { problems: [], notes: [], note: (s) => t.notes.push(s) };
      const began = Date.now();
      let status = "PASS";
      let detail = "";
      step = "";
      try {
        await tc.fn(t);
      } catch (e) {
        if (e instanceof Skip) [status, detail] = ["SKIP", e.message];
        else [status, detail] = ["FAIL", `${step ? `while ${step}: ` : ""}${e.message.split("\n").slice(0, 6).join("\n      ")}`];
      }
      if (status !== "SKIP" && t.problems.length) {
        status = "FAIL";
        detail = [detail, ...t.problems].filter(Boolean).join("\n      ");
      }
      results.push({ name: tc.name, status });
      console.log(`${status}  ${tc.name}  (${Date.now() - began} ms)${detail ? `\n      ${detail}` : ""}${t.notes.length ? `\n      · ${t.notes.join("\n      · ")}` : ""}`);
    }
  } finally {
    await browser.close();
    stopped = await stopDictlab();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  const stopOk = stopped !== null && stopped.code === 0;
  console.log(`${stopOk ? "PASS" : "FAIL"}  dictlab serve stops on SIGINT  (${stopped === null ? "still running after 15 s, killed" : `exit code ${stopped.code}, signal ${stopped.signal}`})`);
  results.push({ name: "dictlab serve stops on SIGINT", status: stopOk ? "PASS" : "FAIL" });
  const count = (s) => results.filter((r) => r.status === s).length;
  console.log(`\n${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped`);
  if (count("FAIL")) {
    console.log(`failed: ${results.filter((r) => r.status === "FAIL").map((r) => r.name).join("; ")}`);
    if (server) console.log(`\ndictlab serve said:\n${server.output().slice(-3000)}`);
    process.exit(1);
  }
}

main().catch(async (e) => {
  console.error(`labels e2e: ${e.stack ?? e}`);
  await stopDictlab().catch(() => {});
  process.exit(1);
});
