// The matrix-vector product on shapes that exercise its unrolled loops' remainders.

import { expect, test } from "vitest";
import { dot, matvec, transpose } from "../../src/model/linalg";
import { Rng } from "../../src/model/sampling";

test("matvec, dot and transpose agree with the plain loops on odd shapes", () => {
  const rng = new Rng(4);
  for (const [m, n] of [[1, 1], [3, 5], [4, 8], [7, 13], [2, 3]]) {
    const W = Float32Array.from({ length: m * n }, () => rng.next() - 0.5);
    const x = Float32Array.from({ length: n }, () => rng.next() - 0.5);
    const bias = Float32Array.from({ length: m }, () => rng.next() - 0.5);
    const out = new Float32Array(m);
    matvec(W, bias, x, out, m, n);
    for (let j = 0; j < m; j++) {
      let s = bias[j];
      for (let i = 0; i < n; i++) s += W[j * n + i] * x[i];
      expect(out[j]).toBeCloseTo(s, 6);
      expect(dot(W, j * n, x, n) + bias[j]).toBeCloseTo(s, 12);
    }
    matvec(W, null, x, out, m, n);
    const t = transpose(W, m, n);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) expect(t[i * m + j]).toBe(W[j * n + i]);
  }
});
