// data/index.bin: float32 little-endian, 4 columns of n_features: density, max_activation, x, y.

import { DataError, fetchBytes } from "./fetch";
import type { FeatureIndex } from "./types";

const FILE = "index.bin";
const COLUMNS = 4;

function column(bytes: ArrayBuffer, n: number, c: number): Float32Array {
  const out = new Float32Array(n);
  const view = new DataView(bytes, c * n * 4, n * 4);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Parses index.bin; `n` is run.json's n_features, or null to infer it from the size. */
export function parseIndex(bytes: ArrayBuffer, n: number | null): FeatureIndex {
  const rowBytes = COLUMNS * 4;
  if (n === null) {
    if (bytes.byteLength === 0 || bytes.byteLength % rowBytes !== 0) {
      throw new DataError("data/index.bin", "truncated", `${bytes.byteLength} bytes is not 16 × n_features`);
    }
    n = bytes.byteLength / rowBytes;
  }
  const expected = n * rowBytes;
  if (bytes.byteLength < expected) {
    throw new DataError("data/index.bin", "truncated", `${bytes.byteLength} of ${expected} bytes`);
  }
  if (bytes.byteLength > expected) {
    throw new DataError("data/index.bin", "invalid", `${bytes.byteLength} bytes, expected ${expected}`);
  }
  return {
    n,
    density: column(bytes, n, 0),
    maxActivation: column(bytes, n, 1),
    x: column(bytes, n, 2),
    y: column(bytes, n, 3),
  };
}

export async function loadIndex(n: number | null): Promise<FeatureIndex> {
  return parseIndex(await fetchBytes(FILE), n);
}
