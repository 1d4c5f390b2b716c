// The golden files the C++ writes (`dictlab export`, see DATA.md) for the
// tests that compare the browser model with it: the folder named by
// DICTLAB_SITE_DATA (a site's data/ folder) holds model/model.safetensors,
// model/sae.safetensors and model/check.json. ctest sets the variable; without
// it these tests fail rather than pass silently.
//
// node:fs is imported dynamically so that the site's tsconfig (browser types,
// no @types/node) still checks this file.

import { LoadedModel } from "../../src/model/runtime";

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

export function dataDir(): string {
  const dir = env("DICTLAB_SITE_DATA");
  if (!dir)
    throw new Error(
      "DICTLAB_SITE_DATA is not set. It names a site's data/ folder (with model/model.safetensors, " +
        "model/sae.safetensors and model/check.json written by `dictlab export`); ctest sets it when it runs " +
        "these tests. By hand: DICTLAB_SITE_DATA=/path/to/site/data npx vitest run tests/model",
    );
  for (const file of ["model/model.safetensors", "model/sae.safetensors", "model/check.json"])
    if (!fs.existsSync(`${dir}/${file}`)) throw new Error(`DICTLAB_SITE_DATA=${dir} has no ${file}`);
  return dir;
}

let cached: { model: LoadedModel; check: CheckJson } | null = null;

/** The exported model, SAE and golden values; throws (failing the test) when DICTLAB_SITE_DATA is unset. */
export function fixture(): { model: LoadedModel; check: CheckJson } {
  if (cached) return cached;
  const dir = dataDir();
  const model = LoadedModel.fromBuffers(readBytes(`${dir}/model/model.safetensors`), readBytes(`${dir}/model/sae.safetensors`), {
    model: `${dir}/model/model.safetensors`,
    sae: `${dir}/model/sae.safetensors`,
  });
  const check = JSON.parse(fs.readFileSync(`${dir}/model/check.json`, "utf8")) as CheckJson;
  cached = { model, check };
  return cached;
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
