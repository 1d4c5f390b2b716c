// Reading safetensors on handcrafted buffers: F16 conversion, metadata, and
// the errors for truncated or inconsistent files. No exported files needed.

import { describe, expect, test } from "vitest";
import { floatToHalf, halfToFloat, SafetensorsFile, writeSafetensors } from "../../src/model/safetensors";

/** A safetensors file from a raw header object and data bytes. */
function handcrafted(header: object, data: Uint8Array, headerPad = 0): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(headerPad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out.buffer;
}

describe("safetensors", () => {
  test("F16 tensors are converted to float32 exactly", () => {
    const halves: Array<[number, number]> = [
      [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3800, 0.5], [0x7bff, 65504], [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x3555, 0.333251953125], [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    const data = new Uint8Array(2 * (halves.length + 2));
    const dv = new DataView(data.buffer);
    halves.forEach(([bits], i) => dv.setUint16(2 * i, bits, true));
    dv.setUint16(2 * halves.length, 0x8000, true); // -0
    dv.setUint16(2 * halves.length + 2, 0x7e00, true); // NaN
    // an odd header length: the data is not 4-byte aligned in the buffer
    const buffer = handcrafted({ h: { dtype: "F16", shape: [halves.length + 2], data_offsets: [0, data.length] } }, data, 3);
    const file = new SafetensorsFile(buffer, "half.safetensors");
    const values = file.float32("h", [halves.length + 2]);
    expect(values).toBeInstanceOf(Float32Array);
    halves.forEach(([bits, value], i) => expect(values[i], `0x${bits.toString(16)}`).toBe(value));
    expect(Object.is(values[halves.length], -0)).toBe(true);
    expect(values[halves.length + 1]).toBeNaN();
    for (const [bits, value] of halves) expect(floatToHalf(value)).toBe(bits);
    expect(halfToFloat(floatToHalf(0.1))).toBeCloseTo(0.1, 3);
  });

  test("F32 tensors, shapes and metadata", () => {
    const buffer = writeSafetensors(
      { a: { dtype: "F32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6.5] }, b: { dtype: "F16", shape: [2], data: [0.25, -8] } },
      { config: '{"x": 1}', format: "test" },
    );
    const file = new SafetensorsFile(buffer, "x.safetensors");
    expect(file.metadata).toEqual({ config: '{"x": 1}', format: "test" });
    expect(Array.from(file.float32("a", [2, 3]))).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(Array.from(file.float32("b"))).toEqual([0.25, -8]);
    expect(file.info("a").shape).toEqual([2, 3]);
    expect(() => file.float32("a", [3, 2])).toThrow(/x\.safetensors: tensor 'a' has shape \[2, 3\], expected \[3, 2\]/);
    expect(() => file.float32("missing")).toThrow(/x\.safetensors: no tensor 'missing'/);
  });

  test("a truncated file names the file, the tensor and the byte lengths", () => {
    const full = writeSafetensors({
      first: { dtype: "F32", shape: [4], data: [1, 2, 3, 4] },
      second: { dtype: "F32", shape: [8], data: [1, 2, 3, 4, 5, 6, 7, 8] },
    });
    const cut = full.slice(0, full.byteLength - 10);
    let message = "";
    try {
      new SafetensorsFile(cut, "model.safetensors");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^model\.safetensors: truncated/);
    expect(message).toContain("'second'");
    expect(message).toContain(`file length ${full.byteLength} expected`);
    expect(message).toContain(`the file has ${cut.byteLength} bytes`);

    expect(() => new SafetensorsFile(full.slice(0, 20), "sae.safetensors")).toThrow(
      /^sae\.safetensors: truncated: the header needs \d+ bytes but the file has 20 bytes/,
    );
    expect(() => new SafetensorsFile(new ArrayBuffer(3), "x")).toThrow(/x: truncated: 3 bytes/);
  });

  test("inconsistent headers are refused", () => {
    const bad = handcrafted({ t: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => new SafetensorsFile(bad, "bad")).toThrow(/bad: tensor 't' \(F32 \[3\]\) needs 12 bytes but its data_offsets span 8/);
    const notJson = new Uint8Array(12);
    new DataView(notJson.buffer).setUint32(0, 4, true);
    notJson.set([0x7b, 0x7b, 0x7b, 0x7b], 8);
    expect(() => new SafetensorsFile(notJson.buffer, "nj")).toThrow(/nj: the safetensors header is not JSON/);
    const ints = handcrafted({ t: { dtype: "I32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(() => new SafetensorsFile(ints, "i").float32("t")).toThrow(/is I32, not a float type/);
  });
});
