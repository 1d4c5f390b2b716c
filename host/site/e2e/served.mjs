#!/usr/bin/env node
// End-to-end test of the model API of `dictlab serve` from the page: an export without an
// in-page model (as a model too big for the page leaves it) uses the server's model for what
// fires here, generation and pinning, and says so; a static copy of it shows every feature and
// says that those need `dictlab serve`.
//
//   node e2e/served.mjs RUN_DIR      (a run directory with a finished feature_analysis stage of
//                                      the toy, e.g. the site fixture's work/run; it is copied,
//                                      never changed)
//
// Env: DICTLAB_BINARY, DICTLAB_SITE_BUILD, DICTLAB_E2E_SCREENSHOTS as in labels.mjs;
//      DICTLAB_PLUGIN_PATH  where dictlab serve finds the plugins (default: plugins/ beside
//                     the binary, where the build puts them)
//
// The copy has no stages/<analysis>/browser/model.safetensors, so the export has no in-page
// model (run.json model: null), exactly as for a plugin whose export_bundle declines.

import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { counter, launchBrowser, openPage, startServer, waitCounter, waitFlag } from "./lib.mjs";

const source = process.argv[2] ? resolve(process.argv[2]) : null;
if (!source) {
  console.error("usage: node e2e/served.mjs RUN_DIR");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.env.DICTLAB_BINARY ?? join(here, "..", "..", "..", "build", "dictlab"));
const siteBuild = resolve(process.env.DICTLAB_SITE_BUILD ?? join(dirname(binary), "site"));
const plugins = resolve(process.env.DICTLAB_PLUGIN_PATH ?? join(dirname(binary), "plugins"));
const shots = resolve(process.env.DICTLAB_E2E_SCREENSHOTS ?? "/tmp/dictlab-e2e");
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const scratch = mkdtempSync(join(tmpdir(), "dictlab-served-e2e-"));
const runDir = join(scratch, "run");
cpSync(source, runDir, { recursive: true });
rmSync(join(runDir, "site"), { recursive: true, force: true });
for (const stage of readdirSync(join(runDir, "stages"))) {
  rmSync(join(runDir, "stages", stage, "browser", "model.safetensors"), { force: true });
}
// dictlab exports the site it finds next to its executable (resolved through symlinks).
const exe = join(scratch, "dictlab");
copyFileSync(binary, exe);
chmodSync(exe, 0o755);
symlinkSync(siteBuild, join(scratch, "site"));

function startDictlab() {
  const child = spawn(exe, ["serve", runDir, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DICTLAB_PLUGIN_PATH: plugins },
  });
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
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`dictlab serve ended (code ${code}, signal ${signal}) before listening:\n${out}`));
    });
  });
}

async function served(browser) {
  const server = await startDictlab();
  const session = await openPage(browser);
  const { page } = session;
  const requests = [];
  page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  try {
    const run = await (await fetch(new URL("data/run.json", server.url))).json();
    check(run.model === null, `the export still has an in-page model: ${run.model}`);
    await page.goto(server.url);
    await waitFlag(page, "modelSource", "server");

    await page.evaluate(() => (location.hash = "#/fires"));
    await page.waitForFunction(() => document.body.dataset.view === "fires");
    await waitCounter(page, "firesReady", 0, 60000);
    const before = await counter(page, "firesReady");
    await page.locator(".fires-input").fill("the cat sat on the mat");
    await waitCounter(page, "firesReady", before, 60000);
    const status = page.locator(".model-status");
    check((await status.getAttribute("data-source")) === "server", `status source: ${await status.getAttribute("data-source")}`);
    const said = await status.textContent();
    check(/dictlab serve/.test(said) && /hook_post|hook_/.test(said), `the status line does not say it uses dictlab serve: ${said}`);
    const tokens = await page.locator(".fires-tokens .tok").allTextContents();
    check(tokens.join("").includes("mat"), `tokens: ${JSON.stringify(tokens)}`);
    check((await page.locator(".fires-tokens .message.error").count()) === 0, await page.locator(".fires-tokens").textContent());
    await page.screenshot({ path: join(shots, "served-fires.png") });

    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    const generated = await counter(page, "generated");
    await page.locator(".generate-form textarea").fill("The ");
    await page.locator('.generate-form input[name="seed"]').fill("7");
    await page.locator('.generate-form input[name="max"]').fill("16");
    await page.locator(".generate-form button.primary").click();
    await waitCounter(page, "generated", generated, 60000);
    check((await page.locator(".samples .message.error").count()) === 0, await page.locator(".samples").textContent());
    check((await page.locator(".samples .sample").count()) === 1, "not one sample");
    await page.screenshot({ path: join(shots, "served-generate.png") });

    check(requests.includes("POST /api/activations"), `no POST api/activations: ${requests.join(", ")}`);
    check(requests.includes("POST /api/generate"), `no POST api/generate: ${requests.join(", ")}`);
    check(!requests.some((r) => r.includes("safetensors")), `the page fetched a model file: ${requests.join(", ")}`);
    check(session.problems.length === 0, session.problems.join("\n"));
  } finally {
    await session.close();
    server.child.kill("SIGINT");
    await server.exited;
  }
}

async function staticCopy(browser) {
  const data = join(runDir, "site", "data");
  check(existsSync(join(data, "run.json")), `dictlab serve wrote no ${data}`);
  const server = await startServer({ siteDir: siteBuild, dataDir: data });
  const session = await openPage(browser);
  const { page } = session;
  try {
    await page.goto(server.url);
    await waitFlag(page, "modelSource", "none");
    await waitFlag(page, "ready", "1");
    const home = await page.locator(".view").textContent();
    check(/dictlab serve/.test(home), `the home page does not say generation needs dictlab serve: ${home.slice(0, 400)}`);
    check((await page.locator('nav a[data-route="generate"]').getAttribute("class")) === "off", "generate is not off");
    await page.evaluate(() => (location.hash = "#/feature/0"));
    await waitFlag(page, "featureReady", "0");
    check((await page.evaluate(() => document.body.dataset.featureStatus)) === "ok", "feature 0 did not render");
    await page.evaluate(() => (location.hash = "#/generate"));
    await page.waitForFunction(() => document.body.dataset.view === "generate");
    const status = await page.locator(".model-status").textContent();
    check(/dictlab serve/.test(status), `generate page: ${status}`);
    await page.screenshot({ path: join(shots, "static-generate.png") });
    check(session.problems.length === 0, session.problems.join("\n"));
  } finally {
    await session.close();
    await server.close();
  }
}

let failed = 0;
const browser = await launchBrowser();
for (const [name, fn] of [
  ["the page uses the server's model when the export has none", served],
  ["a static copy shows the features and says generation needs dictlab serve", staticCopy],
]) {
  const started = Date.now();
  try {
    await fn(browser);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}
await browser.close();
rmSync(scratch, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
