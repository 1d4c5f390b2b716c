// Shared by the end-to-end tests and the load benchmark: a tiny static server on 127.0.0.1 that
// serves a built site with a data/ folder beside it (and can pretend files are missing or
// truncated), and a headless Chromium that may only talk to 127.0.0.1.

import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.DICTLAB_CHROMIUM ?? "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".bin": "application/octet-stream",
  ".safetensors": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
};

/** The data folder: DIR itself when it holds run.json, else DIR/data. */
export function resolveDataDir(dir) {
  if (!dir) throw new Error("give the data folder (the one with run.json, or its parent)");
  const abs = resolve(dir);
  if (existsSync(join(abs, "run.json"))) return abs;
  if (existsSync(join(abs, "data", "run.json"))) return join(abs, "data");
  throw new Error(`${abs} has no run.json (nor data/run.json)`);
}

function inside(root, path) {
  const full = resolve(root, "." + path);
  return full === root || full.startsWith(root + sep) ? full : null;
}

/**
 * Serves siteDir at / and dataDir at /data/. `missing` (URL paths answered 404) and `truncate`
 * (URL path -> bytes kept) simulate a damaged export without touching the files.
 *
 * With `sitesDir` (a `dictlab export --all` folder: index.html and one STAGE/data/ per analysis
 * stage) instead of dataDir: its index.html at /, and each stage's site at /STAGE/ (siteDir's
 * files, with that stage's data at /STAGE/data/).
 */
export function startServer({ siteDir, dataDir, sitesDir }) {
  const site = resolve(siteDir);
  const data = dataDir ? resolve(dataDir) : null;
  const sites = sitesDir ? resolve(sitesDir) : null;
  if (!existsSync(join(site, "index.html"))) throw new Error(`${site} has no index.html: build the site first (npx vite build)`);
  const fileOf = (path) => {
    if (!sites) return path.startsWith("/data/") ? inside(data, path.slice(5)) : inside(site, path);
    if (path === "/index.html") return join(sites, "index.html");
    const m = /^\/([^/]+)(\/.*)$/.exec(path);
    if (!m || m[1] === "." || m[1] === ".." || !existsSync(join(sites, m[1], "data"))) return null;
    return m[2].startsWith("/data/") ? inside(join(sites, m[1]), m[2]) : inside(site, m[2]);
  };
  const missing = new Set();
  const truncate = new Map();
  const requests = [];
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.push(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    if (path.endsWith("/")) path += "index.html";
    const file = fileOf(path);
    let stat = null;
    try {
      stat = file && !missing.has(path) ? statSync(file) : null;
    } catch {
      stat = null;
    }
    if (!stat || !stat.isFile()) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    const keep = truncate.has(path) ? Math.min(stat.size, truncate.get(path)) : stat.size;
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": keep,
      "Cache-Control": "no-store",
    });
    if (req.method === "HEAD" || keep === 0) {
      res.end();
      return;
    }
    createReadStream(file, { start: 0, end: keep - 1 }).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      ok({
        url: `http://127.0.0.1:${port}/`,
        missing,
        truncate,
        requests,
        reset() {
          missing.clear();
          truncate.clear();
          requests.length = 0;
        },
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set DICTLAB_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
  });
}

/**
 * A fresh context and page that may only reach 127.0.0.1: anything else is aborted and recorded.
 * Page errors and console errors are recorded too, except failed loads of `allowedFailures`
 * (URL paths the test expects to be missing) and of api/status: the page asks for it once to
 * learn whether the labelling API of `dictlab serve` is there, and a static server answers 404.
 */
export async function openPage(browser, { allowedFailures = [], viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, serviceWorkers: "block" });
  const problems = [];
  const external = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    external.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const allowed = (url) => {
    try {
      const path = new URL(url).pathname;
      return path.endsWith("/api/status") || path.endsWith("/api/model") || allowedFailures.includes(path);
    } catch {
      return false;
    }
  };
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    if (/Failed to load resource/.test(msg.text()) && allowed(where)) return;
    problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ""}`);
  });
  page.on("requestfailed", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1") return; // already recorded as external
    if (allowed(request.url())) return;
    // A fetch still in flight when the page navigates away (a prefetch of the
    // next feature, say) is cancelled by the browser: not a failure of the site.
    if (request.failure()?.errorText === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  return {
    context,
    page,
    problems,
    external,
    close: () => context.close(),
  };
}

/** Waits until document.body.dataset[name] satisfies `test` (a value, or a function of the string). */
export async function waitFlag(page, name, test, timeout = 30000) {
  const expected = typeof test === "function" ? null : String(test);
  const source = typeof test === "function" ? test.toString() : null;
  await page.waitForFunction(
    ({ name, expected, source }) => {
      const v = document.body?.dataset?.[name];
      if (v === undefined) return false;
      if (source) return new Function(`return (${source})`)()(v);
      return v === expected;
    },
    { name, expected, source },
    { timeout, polling: 50 },
  );
}

/** The current value of a counter flag (0 when unset). */
export async function counter(page, name) {
  return Number(await page.evaluate((n) => document.body.dataset[n] ?? "0", name));
}

/** Waits for a counter flag to pass `previous`. */
export async function waitCounter(page, name, previous, timeout = 60000) {
  await page.waitForFunction(
    ({ name, previous }) => Number(document.body?.dataset?.[name] ?? "0") > previous,
    { name, previous },
    { timeout, polling: 50 },
  );
}

/** What the tests know about the export, read in node. */
export function readExport(dataDir) {
  const run = JSON.parse(readFileSync(join(dataDir, "run.json"), "utf8"));
  const n = run.n_features;
  let index = null;
  try {
    const buf = readFileSync(join(dataDir, "index.bin"));
    if (buf.length === 16 * n) {
      const col = (c) => Float32Array.from({ length: n }, (_, i) => buf.readFloatLE((c * n + i) * 4));
      index = { density: col(0), max: col(1), x: col(2), y: col(3) };
    }
  } catch {
    index = null;
  }
  let search = null;
  try {
    search = JSON.parse(readFileSync(join(dataDir, "search.json"), "utf8"));
  } catch {
    search = null;
  }
  const shardCache = new Map();
  const shardName = (s) => `features/${String(s).padStart(5, "0")}.json`;
  const shard = (s) => {
    if (!shardCache.has(s)) {
      try {
        shardCache.set(s, JSON.parse(readFileSync(join(dataDir, shardName(s)), "utf8")));
      } catch {
        shardCache.set(s, null);
      }
    }
    return shardCache.get(s);
  };
  const feature = (id) => shard(Math.floor(id / run.shard_size))?.find((f) => f.id === id) ?? null;
  return { run, n, index, search, shard, shardName, feature, nShards: Math.ceil(n / run.shard_size) };
}
