// The BPE tokenizer on a handcrafted vocabulary: merge order by score, ties to
// the leftmost pair, spaces as "▁", byte fallback, decode and display strings.
// (check.test.ts compares it with the C++ on the exported vocabulary.)

import { describe, expect, test } from "vitest";
import { BpeTokenizer, type TokenizerJson } from "../../src/model/tokenizer";

function vocabulary(normal: Array<[string, number]>, withBytes = true): TokenizerJson {
  const pieces: Array<[string, number, string]> = [["<unk>", 0, "u"], ["</s>", 0, "c"]];
  if (withBytes)
    for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0, "b"]);
  for (const [piece, score] of normal) pieces.push([piece, score, "n"]);
  return { eos_id: 1, pieces };
}

const json = vocabulary([
  ["a", -1], ["b", -2], ["c", -3], ["\u2581", -4], ["é", -5],
  ["bc", -6], ["ab", -7], ["abc", -8], ["aa", -9], ["\u2581a", -10], ["\u2581ab", -11],
]);
const tok = new BpeTokenizer(json);
const id = (piece: string) => json.pieces.findIndex((p) => p[0] === piece);
const pieces = (ids: number[]) => ids.map((i) => tok.pieces[i]);

describe("tokenizer", () => {
  test("merges the highest-scoring pair first", () => {
    // bc (-6) merges before ab (-7), then a + bc makes "abc"
    expect(pieces(tok.encode("abc"))).toEqual(["abc"]);
    expect(pieces(tok.encode("abcb"))).toEqual(["abc", "b"]);
    const noAbc = new BpeTokenizer(vocabulary([["a", -1], ["b", -2], ["c", -3], ["bc", -6], ["ab", -7]]));
    expect(noAbc.encode("abc").map((i) => noAbc.pieces[i])).toEqual(["a", "bc"]);
    const abFirst = new BpeTokenizer(vocabulary([["a", -1], ["b", -2], ["c", -3], ["bc", -7], ["ab", -6]]));
    expect(abFirst.encode("abc").map((i) => abFirst.pieces[i])).toEqual(["ab", "c"]);
  });

  test("ties go to the leftmost pair", () => {
    expect(pieces(tok.encode("aaa"))).toEqual(["aa", "a"]);
    expect(pieces(tok.encode("aaaaa"))).toEqual(["aa", "aa", "a"]);
  });

  test("spaces become ▁ and merge like any character; decode restores them", () => {
    const ids = tok.encode("ab ab c");
    expect(pieces(ids)).toEqual(["ab", "\u2581ab", "\u2581", "c"]);
    expect(tok.decode(ids)).toBe("ab ab c");
    expect(tok.encode("")).toEqual([]);
    expect(pieces(tok.encode(" "))).toEqual(["\u2581"]);
  });

  test("characters that are no piece fall back to their UTF-8 bytes", () => {
    const ids = tok.encode("aé€😀");
    expect(ids).toEqual([
      id("a"), id("é"),
      id("<0xE2>"), id("<0x82>"), id("<0xAC>"),
      id("<0xF0>"), id("<0x9F>"), id("<0x98>"), id("<0x80>"),
    ]);
    expect(tok.decode(ids)).toBe("aé€😀");
    expect(tok.displayTokens(ids)).toEqual(["a", "é", "€", "", "", "😀", "", "", ""]);
    // without byte pieces, each byte becomes <unk>, decoded as ⁇
    const noBytes = new BpeTokenizer(vocabulary([["a", -1]], false));
    expect(noBytes.unkId).toBe(0);
    expect(noBytes.encode("a€")).toEqual([2, 0, 0, 0]);
    expect(noBytes.decode(noBytes.encode("a€"))).toBe("a\u2047\u2047\u2047");
  });

  test("display strings, as the C++ TokenDisplay: per-token decode, broken bytes as U+FFFD on their first token", () => {
    expect(tok.displayTokens(tok.encode("ab ab"))).toEqual(["ab", " ab"]);
    expect(tok.displayTokens([1, id("a"), 0])).toEqual(["", "a", "\u2047"]);
    // a continuation byte alone; a lead byte cut short by a letter (one U+FFFD for both its bytes)
    expect(tok.displayTokens([id("<0x82>"), id("<0xE2>"), id("<0x82>"), id("a")])).toEqual(["\uFFFD", "\uFFFD", "", "a"]);
    // a character cut short at the end of the window; bytes that never start one (C0, F5-FF)
    expect(tok.displayTokens([id("a"), id("<0xF0>"), id("<0x9F>")])).toEqual(["a", "\uFFFD", ""]);
    expect(tok.displayTokens([id("<0xC0>"), id("<0xFF>")])).toEqual(["\uFFFD", "\uFFFD"]);
    expect(tok.displayTokens([id("<0x0A>"), id("<0x20>")])).toEqual(["\n", " "]);
    // each token is decoded alone: a "▁" spelled in bytes stays "▁" (decode() of the whole makes it a space)
    expect(tok.displayTokens([id("<0xE2>"), id("<0x96>"), id("<0x81>")])).toEqual(["\u2581", "", ""]);
    expect(tok.decode([id("<0xE2>"), id("<0x96>"), id("<0x81>"), id("a")])).toBe(" a");
  });

  test("decode skips ids out of range and controls", () => {
    expect(tok.decode([-1, 1, id("a"), 99999])).toBe("a");
  });

  test("scores compare as float32 and the first of duplicate pieces wins", () => {
    // -1.00000001 and -1.00000002 are equal in float32: a tie, so the leftmost pair merges
    const t = new BpeTokenizer(vocabulary([["x", 0], ["y", 0], ["xy", -1.00000002], ["yx", -1.00000001], ["xy", 5]]));
    expect(t.encode("xyx").map((i) => t.pieces[i])).toEqual(["xy", "x"]);
    expect(t.encode("xy")).toEqual([2 + 256 + 2]);
  });
});
