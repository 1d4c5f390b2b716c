#!/usr/bin/env python3
"""Writes the reference the sentence embedder is tested against
(tests/scores/sentence_embedder_test.cc): for a few sentences, the ids of
all-MiniLM-L6-v2's own tokenizer and the embeddings of its own runtime,
sentence-transformers (mean pooling over the mask, then L2 normalisation).

Usage: make_reference.py MODEL_DIR > reference.json

MODEL_DIR is the model folder `.ci/install-llm` installs
(/var/cache/dictlab/llm/all-MiniLM-L6-v2). Needs a Python with
sentence-transformers (and so torch and transformers).
"""
import json
import sys

SENTENCES = [
    "The cat sat on the mat.",
    "A feline was resting on the rug!",
    "Café déjà vu: naïve résumé, Ångström.",  # accents are stripped
    "Antidisestablishmentarianism is unquestionably hyperpolysyllabic.",  # ## pieces
    "for (int i = 0; i < n; ++i) { x[i] = f(x[i]); }\n\treturn 0;",  # code, tabs, newlines
    "東京は日本の首都です。 Привет, мир! 🙂 ½ ＡＢＣ",  # CJK, Cyrillic, emoji, fullwidth
    "",
    # Longer than max_seq_length (256): truncated to 254 pieces between [CLS] and [SEP].
    " ".join(f"word{i} and more" for i in range(120)),
]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    from sentence_transformers import SentenceTransformer
    import sentence_transformers

    model = SentenceTransformer(sys.argv[1], device="cpu")
    tokenizer = model.tokenizer
    embeddings = model.encode(SENTENCES, batch_size=len(SENTENCES), convert_to_numpy=True)
    cases = []
    for text, embedding in zip(SENTENCES, embeddings):
        ids = tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
        cases.append({"text": text, "ids": ids, "embedding": [round(float(x), 7) for x in embedding]})
    json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2",
               "runtime": f"sentence-transformers {sentence_transformers.__version__}",
               "max_seq_length": model.max_seq_length,
               "cases": cases}, sys.stdout, ensure_ascii=False, indent=None)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
