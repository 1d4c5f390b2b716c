#!/usr/bin/env node
// Page-load benchmark: time to the first list render and to open one feature, in headless
// Chromium against a local static server (each run in a fresh browser context: no cache).
//
//   node e2e/bench-load.mjs DATA_DIR [RUNS]      (site from DICTLAB_SITE_BUILD, default ./dist)
//
// Times come from the page's performance marks (dictlab:list-ready is measured from navigation
// start; opening a feature from the click on the first list row to dictlab:feature-ready).
// Also: bytes fetched for each step, the first search (fetching search.json), and frame
// intervals while the list is scrolled end to end.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, openPage, readExport, resolveDataDir, startServer, waitFlag } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
let dataDir;
try {
  dataDir = resolveDataDir(process.argv[2]);
} catch (e) {
  console.error(`usage: node e2e/bench-load.mjs DATA_DIR [RUNS]\nerror: ${e.message}`);
  process.exit(2);
}
const runs = Math.max(1, Number(process.argv[3] ?? 3) || 3);
const siteDir = resolve(process.env.DICTLAB_SITE_BUILD ?? join(here, "..", "dist"));
const { n } = readExport(dataDir);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;

async function once(browser, server) {
  const session = await openPage(browser);
  const { page } = session;
  let bytes = 0;
  page.on("response", async (r) => {
    const length = Number(r.headers()["content-length"] ?? 0);
    bytes += length;
  });
  const out = {};
  await page.goto(server.url);
  await waitFlag(page, "ready", "1", 120000);
  out.list = await page.evaluate(() => performance.getEntriesByName("dictlab:list-ready")[0].startTime);
  out.listBytes = bytes;
  bytes = 0;
  const clickAt = await page.evaluate(() => {
    const t = performance.now();
    document.querySelector(".feature-row").click();
    return t;
  });
  const id = await page.evaluate(() => document.querySelector(".feature-row").dataset.id);
  await waitFlag(page, "featureReady", id, 120000);
  out.feature = (await page.evaluate(() => performance.getEntriesByName("dictlab:feature-ready").at(-1).startTime)) - clickAt;
  out.featureBytes = bytes;
  bytes = 0;
  const searchAt = await page.evaluate(() => performance.now());
  await page.locator(".search-input").fill("the");
  await page.locator(".search-input").press("Enter");
  await waitFlag(page, "searchReady", "the", 120000);
  out.search = (await page.evaluate(() => performance.now())) - searchAt;
  out.searchBytes = bytes;
  // Scroll the whole list in 120 frames (cleared search: the full list).
  await page.locator(".search-input").fill("");
  await page.locator(".search-input").press("Enter");
  await waitFlag(page, "searchReady", "", 120000);
  out.frames = await page.evaluate(
    () =>
      new Promise((done) => {
        const list = document.querySelector(".feature-list");
        const steps = 120;
        const deltas = [];
        let last = performance.now();
        let i = 0;
        const step = () => {
          const now = performance.now();
          deltas.push(now - last);
          last = now;
          list.scrollTop = ((i + 1) / steps) * (list.scrollHeight - list.clientHeight);
          if (++i < steps) requestAnimationFrame(step);
          else requestAnimationFrame(() => done(deltas.slice(1)));
        };
        requestAnimationFrame(step);
      }),
  );
  out.rowsInDom = await page.locator(".feature-row").count();
  const problems = session.problems;
  await session.close();
  if (problems.length) throw new Error(problems.join("\n"));
  return out;
}

const server = await startServer({ siteDir, dataDir });
const browser = await launchBrowser();
const results = [];
try {
  for (let r = 0; r < runs; r++) results.push(await once(browser, server));
} finally {
  await browser.close();
  await server.close();
}
const col = (k) => results.map((r) => r[k]);
const frames = results.flatMap((r) => r.frames);
console.log(`bench-load: ${n} features, ${runs} runs, site ${siteDir}, data ${dataDir}`);
console.log(`  first list render   median ${fmt(median(col("list")))}  (runs: ${col("list").map(fmt).join(", ")})  fetched ${mb(median(col("listBytes")))}`);
console.log(`  open one feature    median ${fmt(median(col("feature")))}  (runs: ${col("feature").map(fmt).join(", ")})  fetched ${mb(median(col("featureBytes")))}`);
console.log(`  first search        median ${fmt(median(col("search")))}  (runs: ${col("search").map(fmt).join(", ")})  fetched ${mb(median(col("searchBytes")))}`);
console.log(
  `  scrolling the list  frame interval median ${median(frames).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms over ${frames.length} frames; ${results[0].rowsInDom} rows in the DOM`,
);
