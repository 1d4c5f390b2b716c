#!/usr/bin/env python3
"""Checks a dictlab tokenizer folder against Hugging Face's readers.

Usage: check_hf_tokenizer.py STAGE_DIR CASES_JSONL

STAGE_DIR is a sentencepiece_bpe or toy_transformer stage folder (holding
tokenizer.json and tokenizer_config.json). CASES_JSONL has one
{"text": ..., "ids": [...], "decoded": ...} per line, where ids and decoded
are what dictlab::BpeTokenizer gave (tests/models/hf_tokenizer_test.cc writes
it). Both `tokenizers.Tokenizer.from_file` and
`transformers.AutoTokenizer.from_pretrained` must give the same ids and
decode them to the same text. Prints the agreement counts; exits 1 on any
difference. Needs a Python with `tokenizers` and `transformers` (no torch).
"""
import json
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    stage_dir, cases_file = Path(sys.argv[1]), Path(sys.argv[2])
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    fast = Tokenizer.from_file(str(stage_dir / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(stage_dir))
    cases = [json.loads(line) for line in cases_file.read_text(encoding="utf-8").splitlines() if line]

    counts = {"tokenizers ids": 0, "AutoTokenizer ids": 0, "tokenizers decode": 0, "AutoTokenizer decode": 0}
    failures = []
    for number, case in enumerate(cases):
        text, expected, decoded = case["text"], case["ids"], case["decoded"]
        results = {
            "tokenizers ids": fast.encode(text).ids,
            "AutoTokenizer ids": auto.encode(text),
            "tokenizers decode": fast.decode(expected, skip_special_tokens=False),
            "AutoTokenizer decode": auto.decode(expected, skip_special_tokens=False),
        }
        wanted = {"tokenizers ids": expected, "AutoTokenizer ids": expected,
                  "tokenizers decode": decoded, "AutoTokenizer decode": decoded}
        for key, got in results.items():
            if got == wanted[key]:
                counts[key] += 1
            elif len(failures) < 10:
                failures.append(f"case {number} {key}: text {text[:60]!r}\n  dictlab {wanted[key]!r:.300}\n"
                                f"  got     {got!r:.300}")

    print(f"{len(cases)} texts; vocabulary {fast.get_vocab_size()}; AutoTokenizer is {type(auto).__name__} "
          f"(eos {auto.eos_token!r} = {auto.eos_token_id}, bos {auto.bos_token!r})")
    for key, count in counts.items():
        print(f"  {key}: {count}/{len(cases)} identical to dictlab::BpeTokenizer")
    for failure in failures:
        print(failure)
    return 0 if all(count == len(cases) for count in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
