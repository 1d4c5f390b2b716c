// Reading a safetensors file (https://github.com/huggingface/safetensors) from
// an ArrayBuffer: 8 bytes of little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {k: v}},
// then the tensor data. F32, F16 and BF16 tensors are returned as
// Float32Array (copies, so they are aligned and safe to keep); other dtypes
// are refused when asked for. A truncated or inconsistent file is refused with
// the file's name, the tensor and the byte lengths involved, mirroring
// sdk/include/dictlab/safetensors.h.

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range in the data section (after the header). */
  begin: number;
  end: number;
}

const DTYPE_SIZE: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** IEEE half precision (binary16) bits to a number, exactly. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | null = null;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

function elements(shape: number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export class SafetensorsFile {
  readonly name: string;
  readonly metadata: Record<string, string> = {};
  readonly tensors = new Map<string, TensorInfo>();
  private readonly bytes: Uint8Array;
  private readonly dataStart: number;

  /** `name` (a file name or URL) is used in error messages. */
  constructor(buffer: ArrayBuffer, name = "safetensors file") {
    this.name = name;
    this.bytes = new Uint8Array(buffer);
    const size = this.bytes.byteLength;
    if (size < 8)
      throw new SafetensorsError(`${name}: truncated: ${size} bytes, fewer than the 8-byte header length`);
    const view = new DataView(buffer);
    const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    if (8 + headerLength > size)
      throw new SafetensorsError(
        `${name}: truncated: the header needs ${8 + headerLength} bytes but the file has ${size} bytes`,
      );
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(this.bytes.subarray(8, 8 + headerLength)));
    } catch (e) {
      throw new SafetensorsError(`${name}: the safetensors header is not JSON (${(e as Error).message})`);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header))
      throw new SafetensorsError(`${name}: the safetensors header is not a JSON object`);
    this.dataStart = 8 + headerLength;
    const dataSize = size - this.dataStart;
    for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
      if (key === "__metadata__") {
        for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>))
          if (typeof v === "string") this.metadata[k] = v;
        continue;
      }
      const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = String(entry?.dtype ?? "");
      const shape = Array.isArray(entry?.shape) ? (entry.shape as number[]) : [];
      const offsets = Array.isArray(entry?.data_offsets) ? (entry.data_offsets as number[]) : [];
      if (offsets.length !== 2 || !(offsets[1] >= offsets[0]))
        throw new SafetensorsError(`${name}: tensor '${key}' has no valid data_offsets`);
      const itemSize = DTYPE_SIZE[dtype];
      if (itemSize === undefined) throw new SafetensorsError(`${name}: tensor '${key}' has unknown dtype ${dtype}`);
      const expected = elements(shape) * itemSize;
      if (offsets[1] - offsets[0] !== expected)
        throw new SafetensorsError(
          `${name}: tensor '${key}' (${dtype} [${shape.join(", ")}]) needs ${expected} bytes ` +
            `but its data_offsets span ${offsets[1] - offsets[0]}`,
        );
      if (offsets[1] > dataSize)
        throw new SafetensorsError(
          `${name}: truncated: tensor '${key}' needs bytes ${this.dataStart + offsets[0]}..${this.dataStart + offsets[1]} ` +
            `(file length ${this.dataStart + offsets[1]} expected) but the file has ${size} bytes`,
        );
      this.tensors.set(key, { dtype, shape: shape.slice(), begin: offsets[0], end: offsets[1] });
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(`${this.name}: no tensor '${name}'`);
    return info;
  }

  /** The tensor as float32, checked against `shape` when given. */
  float32(name: string, shape?: number[]): Float32Array {
    const info = this.info(name);
    if (shape && (shape.length !== info.shape.length || shape.some((s, i) => s !== info.shape[i])))
      throw new SafetensorsError(
        `${this.name}: tensor '${name}' has shape [${info.shape.join(", ")}], expected [${shape.join(", ")}]`,
      );
    const start = this.dataStart + info.begin;
    const n = elements(info.shape);
    const bytes = this.bytes;
    if (info.dtype === "F32") {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes.subarray(start, start + 4 * n));
      if (!littleEndian()) {
        const dv = new DataView(bytes.buffer, bytes.byteOffset + start, 4 * n);
        for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      }
      return out;
    }
    if (info.dtype === "F16" || info.dtype === "BF16") {
      const out = new Float32Array(n);
      const dv = new DataView(bytes.buffer, bytes.byteOffset + start, 2 * n);
      if (info.dtype === "F16") {
        const table = halfLookup();
        for (let i = 0; i < n; i++) out[i] = table[dv.getUint16(2 * i, true)];
      } else {
        const u32 = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) u32[i] = dv.getUint16(2 * i, true) << 16;
      }
      return out;
    }
    throw new SafetensorsError(`${this.name}: tensor '${name}' is ${info.dtype}, not a float type (F32, F16, BF16)`);
  }
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Builds a safetensors file (used by tests and tools). */
export function writeSafetensors(
  tensors: Record<string, { dtype: "F32" | "F16"; shape: number[]; data: ArrayLike<number> }>,
  metadata?: Record<string, string>,
): ArrayBuffer {
  const header: Record<string, unknown> = {};
  if (metadata) header["__metadata__"] = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.dtype === "F32" ? 4 : 2;
    const bytes = new Uint8Array(t.data.length * size);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < t.data.length; i++) {
      if (t.dtype === "F32") dv.setFloat32(4 * i, t.data[i], true);
      else dv.setUint16(2 * i, floatToHalf(t.data[i]), true);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8 !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

/** A number to the nearest binary16 (round to nearest even). */
export function floatToHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}
