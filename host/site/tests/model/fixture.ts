// The golden files the C++ writes (`dictlab export`, see DATA.md) for the
// tests that compare the browser model with it: a site's data/ folder holds
// model/model.safetensors, model/sae.safetensors and model/check.json. The
// folder named by DICTLAB_SITE_ARCHITECTURES holds one site per dictionary
// architecture (an `export --all` of the fixture's run-architectures, one
// folder per analysis stage). ctest sets the variable; without it these
// tests fail rather than pass silently.
//
// node:fs is imported dynamically so that the site's tsconfig (browser types,
// no @types/node) still checks this file.

import { LoadedModel } from "../../src/model/runtime";
import { SafetensorsFile } from "../../src/model/safetensors";

export interface CheckJson {
  tokenizer: Array<{ text: string; ids: number[] }>;
  logits: { ids: number[]; values: number[][] };
  features: { ids: number[]; values: Array<Array<[number, number]>> };
  pinned: { feature: number; value: number; values: number[][] };
}

interface NodeFs {
  readFileSync(path: string): Uint8Array;
  readFileSync(path: string, encoding: "utf8"): string;
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
}

const fsName: string = "node:fs";
const fs = (await import(/* @vite-ignore */ fsName)) as NodeFs;

export function env(name: string): string | undefined {
  const p = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process;
  return p?.env[name];
}

export function readBytes(path: string): ArrayBuffer {
  const bytes = fs.readFileSync(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

const MODEL_FILES = ["model/model.safetensors", "model/sae.safetensors", "model/check.json"];

/** DICTLAB_SITE_DATA, a site's data/ folder (for bench.ts); throws when it is unset or lacks the model files. */
export function dataDir(): string {
  const dir = env("DICTLAB_SITE_DATA");
  if (!dir)
    throw new Error(
      "DICTLAB_SITE_DATA is not set. It names a site's data/ folder (with model/model.safetensors, " +
        "model/sae.safetensors and model/check.json written by `dictlab export`).",
    );
  for (const file of MODEL_FILES)
    if (!fs.existsSync(`${dir}/${file}`)) throw new Error(`DICTLAB_SITE_DATA=${dir} has no ${file}`);
  return dir;
}

/** The data/ folders of DICTLAB_SITE_ARCHITECTURES's sites, by analysis stage; throws when it is unset or has none. */
export function architectureSites(): Array<{ stage: string; dir: string }> {
  const root = env("DICTLAB_SITE_ARCHITECTURES");
  if (!root)
    throw new Error(
      "DICTLAB_SITE_ARCHITECTURES is not set. It names a folder of sites, one per analysis stage (an `export --all` " +
        "whose data/ folders have model/model.safetensors, model/sae.safetensors and model/check.json); ctest sets it " +
        "when it runs these tests. By hand: DICTLAB_SITE_ARCHITECTURES=build/site-fixture/site-architectures npx vitest run tests/model",
    );
  const sites = fs
    .readdirSync(root)
    .filter((stage) => fs.existsSync(`${root}/${stage}/data/run.json`))
    .sort()
    .map((stage) => ({ stage, dir: `${root}/${stage}/data` }));
  if (sites.length === 0) throw new Error(`DICTLAB_SITE_ARCHITECTURES=${root} has no site (no */data/run.json)`);
  for (const { dir } of sites)
    for (const file of MODEL_FILES) if (!fs.existsSync(`${dir}/${file}`)) throw new Error(`${dir} has no ${file}`);
  return sites;
}

const cached = new Map<string, { model: LoadedModel; check: CheckJson; architecture: string }>();

/** The exported model, dictionary and golden values of a site's data/ folder, and the dictionary's cfg architecture. */
export function fixture(dir: string): { model: LoadedModel; check: CheckJson; architecture: string } {
  const hit = cached.get(dir);
  if (hit) return hit;
  const saeBytes = readBytes(`${dir}/model/sae.safetensors`);
  const model = LoadedModel.fromBuffers(readBytes(`${dir}/model/model.safetensors`), saeBytes, {
    model: `${dir}/model/model.safetensors`,
    sae: `${dir}/model/sae.safetensors`,
  });
  const cfg = JSON.parse(new SafetensorsFile(saeBytes, "sae.safetensors").metadata["cfg"]) as { architecture: string };
  const check = JSON.parse(fs.readFileSync(`${dir}/model/check.json`, "utf8")) as CheckJson;
  const loaded = { model, check, architecture: cfg.architecture };
  cached.set(dir, loaded);
  return loaded;
}

/** The largest |a[i] - b[i]| (Infinity when lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = d; // NaN propagates
  }
  return max;
}
