// SentencePiece's BPE encoding over dictlab_tokenizer.json (model.safetensors
// carries it as the "tokenizer" metadata), a line-by-line port of
// dictlab::BpeTokenizer (sdk/include/dictlab/bpe_tokenizer.h), so that the
// page tokenizes exactly as the C++ model did in training:
//   - spaces become U+2581 "▁" (no dummy prefix is added);
//   - the UTF-8 bytes are split into characters, then adjacent symbols are
//     merged while their concatenation is a normal piece, highest score first
//     (scores compared as float32), ties to the leftmost pair;
//   - a final symbol that is no piece falls back to its bytes' <0xNN> tokens
//     (or <unk> where the byte has no token).
// The work happens on UTF-8 bytes held in a "binary string" (one char per
// byte), so substrings that split a character behave as in C++.
//
// dictlab_tokenizer.json: {"type": "sentencepiece_bpe", "eos_id": 1,
//                          "pieces": [[piece, score, type], ...]}  type: n, b(yte), c(ontrol), u(nknown)

export interface TokenizerJson {
  eos_id?: number;
  pieces: Array<[string, number, string]>;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8"); // invalid bytes become U+FFFD

function binaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192)
    s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
  return s;
}

function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >> 5 === 0x6) return 2;
  if (lead >> 4 === 0xe) return 3;
  if (lead >> 3 === 0x1e) return 4;
  return 1; // a stray continuation byte stands alone
}

/** The length of the UTF-8 sequence starting with `lead`, 0 if it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** A max-heap of candidate merges: highest score, then leftmost. */
class PairHeap {
  score: number[] = [];
  left: number[] = [];
  right: number[] = [];
  length: number[] = [];
  size = 0;

  private better(a: number, b: number): boolean {
    const sa = this.score[a], sb = this.score[b];
    return sa === sb ? this.left[a] < this.left[b] : sa > sb;
  }
  private swap(a: number, b: number): void {
    let t = this.score[a]; this.score[a] = this.score[b]; this.score[b] = t;
    t = this.left[a]; this.left[a] = this.left[b]; this.left[b] = t;
    t = this.right[a]; this.right[a] = this.right[b]; this.right[b] = t;
    t = this.length[a]; this.length[a] = this.length[b]; this.length[b] = t;
  }
  push(score: number, left: number, right: number, length: number): void {
    let i = this.size++;
    this.score[i] = score; this.left[i] = left; this.right[i] = right; this.length[i] = length;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  /** Moves the top to index `size` (read it there) and restores the heap. */
  pop(): number {
    const last = --this.size;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < last && this.better(l, best)) best = l;
      if (r < last && this.better(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return last;
  }
}

export class BpeTokenizer {
  readonly eosId: number;
  readonly unkId: number;
  /** Pieces as written in tokenizer.json, and their type letter. */
  readonly pieces: string[];
  readonly types: string[];
  private readonly normal = new Map<string, number>(); // UTF-8 binary string -> id
  private readonly scores: Float32Array;
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly byteValue: Int32Array; // per id: the byte of a <0xNN> piece, else -1
  private readonly pieceBytes: Uint8Array[];
  private readonly tokenBytesCache: Array<Uint8Array | undefined> = [];

  constructor(json: TokenizerJson | string) {
    const parsed: TokenizerJson = typeof json === "string" ? JSON.parse(json) : json;
    if (!parsed || !Array.isArray(parsed.pieces)) throw new Error("tokenizer JSON has no pieces array");
    this.eosId = parsed.eos_id ?? 1;
    const n = parsed.pieces.length;
    this.pieces = new Array(n);
    this.types = new Array(n);
    this.scores = new Float32Array(n);
    this.byteValue = new Int32Array(n).fill(-1);
    this.pieceBytes = new Array(n);
    let unk = 0;
    for (let id = 0; id < n; id++) {
      const [piece, score, type] = parsed.pieces[id];
      this.pieces[id] = piece;
      this.types[id] = type[0];
      this.scores[id] = score; // float, as the C++ stores it
      const bytes = utf8Encoder.encode(piece);
      this.pieceBytes[id] = bytes;
      if (type === "n") {
        const key = binaryString(bytes);
        if (!this.normal.has(key)) this.normal.set(key, id); // emplace: the first one wins
      } else if (type === "b") {
        const value = parseInt(piece.substring(3, 5), 16);
        this.byteIds[value] = id;
        this.byteValue[id] = value;
      } else if (type === "u") {
        unk = id;
      }
    }
    this.unkId = unk;
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  encode(text: string): number[] {
    const raw = utf8Encoder.encode(text);
    let spaces = 0;
    for (let i = 0; i < raw.length; i++) if (raw[i] === 0x20) spaces++;
    const bytes = new Uint8Array(raw.length + 2 * spaces);
    for (let i = 0, j = 0; i < raw.length; i++) {
      if (raw[i] === 0x20) {
        bytes[j++] = 0xe2; bytes[j++] = 0x96; bytes[j++] = 0x81;
      } else {
        bytes[j++] = raw[i];
      }
    }
    const escaped = binaryString(bytes);

    const prev: number[] = [], next: number[] = [], begin: number[] = [], length: number[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = Math.min(utf8Length(bytes[i]), bytes.length - i);
      const k = begin.length;
      prev.push(k - 1); next.push(k + 1); begin.push(i); length.push(n);
      i += n;
    }
    if (begin.length === 0) return [];
    next[next.length - 1] = -1;

    const agenda = new PairHeap();
    const consider = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const len = length[left] + length[right];
      const id = this.normal.get(escaped.substring(begin[left], begin[left] + len));
      if (id !== undefined) agenda.push(this.scores[id], left, right, len);
    };
    for (let i = 1; i < begin.length; i++) consider(i - 1, i);
    while (agenda.size > 0) {
      const top = agenda.pop();
      const l = agenda.left[top], r = agenda.right[top], len = agenda.length[top];
      if (length[l] === 0 || length[r] === 0 || length[l] + length[r] !== len) continue; // stale
      length[l] = len;
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      length[r] = 0;
      consider(prev[l], l);
      consider(l, next[l]);
    }

    const ids: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) {
      const id = this.normal.get(escaped.substring(begin[i], begin[i] + length[i]));
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      for (let b = begin[i]; b < begin[i] + length[i]; b++) {
        const byteId = this.byteIds[bytes[b]];
        ids.push(byteId >= 0 ? byteId : this.unkId);
      }
    }
    return ids;
  }

  /** The UTF-8 bytes of decode(ids): pieces and bytes joined, then each "▁" (E2 96 81) made a space. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const raw: number[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (!(id >= 0 && id < this.pieces.length)) continue;
      const type = this.types[id];
      if (type === "b") raw.push(this.byteValue[id]);
      else if (type === "n") for (const b of this.pieceBytes[id]) raw.push(b);
      else if (type === "u") raw.push(0xe2, 0x81, 0x87); // "⁇", as SentencePiece shows unknowns
    }
    const out: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 0xe2 && raw[i + 1] === 0x96 && raw[i + 2] === 0x81) {
        out.push(0x20);
        i += 2;
      } else {
        out.push(raw[i]);
      }
    }
    return Uint8Array.from(out);
  }

  /** The text of `ids`; bytes that make no valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /** The bytes decode([id]) gives for one token alone (controls give none). */
  tokenBytes(id: number): Uint8Array {
    if (!(id >= 0 && id < this.pieces.length)) return new Uint8Array(0);
    return this.tokenBytesCache[id] ?? (this.tokenBytesCache[id] = this.decodeBytes([id]));
  }

  /**
   * One display string per token (DATA.md), as the C++ exporter's
   * TokenDisplay (plugins/feature_analysis/token_display.cc) makes them:
   * each token's own decoded bytes, a character split over several tokens
   * shown on the token of its first byte and "" on the rest, bytes that make
   * no valid UTF-8 character shown as U+FFFD on the token their first byte
   * came from; controls (</s>) show as "".
   */
  displayTokens(ids: ArrayLike<number>): string[] {
    const shown: number[][] = [];
    let pending: number[] = [];
    let owner = 0;
    const flushInvalid = (): void => {
      if (pending.length > 0) shown[owner].push(0xef, 0xbf, 0xbd);
      pending = [];
    };
    for (let k = 0; k < ids.length; k++) {
      shown.push([]);
      for (const byte of this.tokenBytes(ids[k])) {
        if (pending.length > 0) {
          if ((byte & 0xc0) === 0x80) {
            pending.push(byte);
            if (pending.length === sequenceLength(pending[0])) {
              shown[owner].push(...pending);
              pending = [];
            }
            continue;
          }
          flushInvalid();
        }
        const length = sequenceLength(byte);
        if (length === 1) shown[k].push(byte);
        else if (length === 0) shown[k].push(0xef, 0xbf, 0xbd);
        else {
          pending = [byte];
          owner = k;
        }
      }
    }
    flushInvalid();
    return shown.map((bytes) => utf8Decoder.decode(Uint8Array.from(bytes)));
  }
}
