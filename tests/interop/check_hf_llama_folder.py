#!/usr/bin/env python3
"""Checks a Hugging Face llama folder written by dictlab (hf_folder_writer.h)
with Hugging Face's own readers.

Usage: check_hf_llama_folder.py FOLDER CASES_JSONL [GGUF]

CASES_JSONL has one {"text": ..., "ids": [...], "ids_special": [...],
"decoded": ...} per line: what the GGUF tokenizer gave without and with
BOS/EOS added (tests/models/hf_folder_test.cc writes it). A FOLDER without
config.json is a tokenizer alone: only the tokenizer checks run.
Checks, each where its package is installed (a missing one is reported and
skipped, except tokenizers and transformers, which are required):
  - tokenizers.Tokenizer.from_file(tokenizer.json), with control tokens'
    spellings taken as text (encode_special_tokens), and
    transformers.AutoTokenizer.from_pretrained(FOLDER) (split_special_tokens
    from tokenizer_config.json) give the same ids and decode them alike;
  - transformers.AutoConfig.from_pretrained(FOLDER) reads a llama config;
  - safetensors.numpy.load_file reads every weight under the name and shape
    LlamaForCausalLM expects for that config, and nothing else;
  - with GGUF and the `gguf` package (gguf-py): embeddings and a few Q/K/V
    matrices equal gguf-py's dequantization of the file, Q and K rows put back
    with the inverse of llama.cpp's convert_hf_to_gguf.py permute.
Prints what it compared; exits 1 on any difference.
"""
import json
import sys
from pathlib import Path


def check_tokenizers(folder: Path, cases: list, failures: list) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    fast = Tokenizer.from_file(str(folder / "tokenizer.json"))
    fast.encode_special_tokens = True
    auto = AutoTokenizer.from_pretrained(str(folder))
    counts = {"tokenizers ids": 0, "AutoTokenizer ids": 0, "tokenizers ids with specials": 0,
            "AutoTokenizer ids with specials": 0, "tokenizers decode": 0, "AutoTokenizer decode": 0}
    for number, case in enumerate(cases):
        text, expected, decoded = case["text"], case["ids"], case["decoded"]
        got = {
            "tokenizers ids": fast.encode(text, add_special_tokens=False).ids,
            "AutoTokenizer ids": auto.encode(text, add_special_tokens=False),
            "tokenizers ids with specials": fast.encode(text).ids,
            "AutoTokenizer ids with specials": auto.encode(text),
            "tokenizers decode": fast.decode(expected, skip_special_tokens=False),
            "AutoTokenizer decode": auto.decode(expected, skip_special_tokens=False),
        }
        for key, value in got.items():
            wanted = expected if key.endswith("ids") else case["ids_special"] if key.endswith("specials") else decoded
            if value == wanted:
                counts[key] += 1
            elif len(failures) < 10:
                failures.append(f"case {number} {key}: text {text[:60]!r}\n  GGUF {wanted!r:.300}\n  got  {value!r:.300}")
    print(f"{len(cases)} texts; vocabulary {fast.get_vocab_size()}; AutoTokenizer is {type(auto).__name__} "
          f"(bos {auto.bos_token!r}, eos {auto.eos_token!r} = {auto.eos_token_id})")
    for key, count in counts.items():
        print(f"  {key}: {count}/{len(cases)} identical to the GGUF tokenizer")
    if any(count != len(cases) for count in counts.values()):
        failures.append("tokenizer disagreements")


def expected_shapes(config) -> dict:
    d, heads, kv = config.hidden_size, config.num_attention_heads, config.num_key_value_heads
    head = getattr(config, "head_dim", None) or d // heads
    mlp, vocab = config.intermediate_size, config.vocab_size
    shapes = {"model.embed_tokens.weight": (vocab, d), "model.norm.weight": (d,)}
    if not config.tie_word_embeddings:
        shapes["lm_head.weight"] = (vocab, d)
    for layer in range(config.num_hidden_layers):
        p = f"model.layers.{layer}."
        shapes |= {p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
                   p + "self_attn.q_proj.weight": (heads * head, d), p + "self_attn.k_proj.weight": (kv * head, d),
                   p + "self_attn.v_proj.weight": (kv * head, d), p + "self_attn.o_proj.weight": (d, heads * head),
                   p + "mlp.gate_proj.weight": (mlp, d), p + "mlp.up_proj.weight": (mlp, d),
                   p + "mlp.down_proj.weight": (d, mlp)}
    return shapes


def check_weights(folder: Path, gguf_path, failures: list) -> None:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(folder))
    print(f"AutoConfig: {type(config).__name__} model_type {config.model_type}, {config.num_hidden_layers} layers, "
          f"hidden {config.hidden_size}, heads {config.num_attention_heads}/{config.num_key_value_heads}, "
          f"vocab {config.vocab_size}, tied {config.tie_word_embeddings}")
    if config.model_type != "llama":
        failures.append(f"AutoConfig model_type {config.model_type}")
    try:
        from safetensors.numpy import load_file
    except ImportError:
        print("safetensors is not installed: weights not checked")
        return
    weights = load_file(str(folder / "model.safetensors"))
    shapes = {name: tuple(array.shape) for name, array in weights.items()}
    wanted = expected_shapes(config)
    if shapes != wanted:
        missing, extra = sorted(set(wanted) - set(shapes)), sorted(set(shapes) - set(wanted))
        wrong = sorted(n for n in set(wanted) & set(shapes) if wanted[n] != shapes[n])
        failures.append(f"safetensors: missing {missing[:5]}, unexpected {extra[:5]}, wrong shapes {wrong[:5]}")
    print(f"safetensors.numpy: {len(shapes)} tensors, {sum(1 for n in wanted if shapes.get(n) == wanted[n])}/"
          f"{len(wanted)} with LlamaForCausalLM's names and shapes; dtypes {sorted({str(a.dtype) for a in weights.values()})}")
    if gguf_path:
        compare_with_gguf(weights, config, gguf_path, failures)


def compare_with_gguf(weights: dict, config, gguf_path: str, failures: list) -> None:
    try:
        import numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize
    except ImportError:
        print("gguf (gguf-py) is not installed: weights not compared with the GGUF file")
        return
    reader = GGUFReader(gguf_path)
    tensors = {t.name: t for t in reader.tensors}
    rope = getattr(config, "rope_parameters", None) or {"rope_theta": getattr(config, "rope_theta", None)}
    settings = [("hidden_size", config.hidden_size, "llama.embedding_length"),
                ("intermediate_size", config.intermediate_size, "llama.feed_forward_length"),
                ("num_hidden_layers", config.num_hidden_layers, "llama.block_count"),
                ("num_attention_heads", config.num_attention_heads, "llama.attention.head_count"),
                ("num_key_value_heads", config.num_key_value_heads, "llama.attention.head_count_kv"),
                ("max_position_embeddings", config.max_position_embeddings, "llama.context_length"),
                ("rms_norm_eps", config.rms_norm_eps, "llama.attention.layer_norm_rms_epsilon"),
                ("rope theta", rope["rope_theta"], "llama.rope.freq_base")]
    for name, value, key in settings:
        field = reader.fields.get(key)
        stored = field.contents() if field is not None else None
        same = stored is not None and float(value) == float(stored)
        print(f"  AutoConfig {name} {value} == GGUF {key} {stored}: {same}")
        if not same:
            failures.append(f"AutoConfig {name} {value} differs from the GGUF's {key} {stored}")

    def unpermute(w, heads):  # inverse of convert_hf_to_gguf.py's LlamaModel.permute
        return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    last = config.num_hidden_layers - 1
    pairs = [("model.embed_tokens.weight", "token_embd.weight", None),
             ("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight", config.num_attention_heads),
             ("model.layers.0.self_attn.k_proj.weight", "blk.0.attn_k.weight", config.num_key_value_heads),
             ("model.layers.0.self_attn.v_proj.weight", "blk.0.attn_v.weight", None),
             (f"model.layers.{last}.self_attn.k_proj.weight", f"blk.{last}.attn_k.weight", config.num_key_value_heads),
             (f"model.layers.{last}.mlp.down_proj.weight", f"blk.{last}.ffn_down.weight", None)]
    for hf, gguf_name, heads in pairs:
        t = tensors[gguf_name]
        w = dequantize(t.data, t.tensor_type).reshape(tuple(reversed([int(n) for n in t.shape])))
        if heads:
            w = unpermute(w, heads)
        same = np.array_equal(w.astype(np.float32), weights[hf])
        print(f"  {hf} == gguf-py's {gguf_name}{' un-permuted' if heads else ''}: {same}")
        if not same:
            failures.append(f"{hf} differs from gguf-py's {gguf_name}")


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    folder, cases_file = Path(sys.argv[1]), Path(sys.argv[2])
    gguf_path = sys.argv[3] if len(sys.argv) == 4 else None
    cases = [json.loads(line) for line in cases_file.read_text(encoding="utf-8").splitlines() if line]
    failures: list = []
    check_tokenizers(folder, cases, failures)
    if (folder / "config.json").exists():
        check_weights(folder, gguf_path, failures)
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
