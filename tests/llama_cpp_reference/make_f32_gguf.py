#!/usr/bin/env python3
"""Writes a copy of a GGUF model with every tensor dequantized to float32 by
gguf-py (the reference reader), metadata unchanged except general.file_type.

llama.cpp multiplies float32 weights by float32 activations, whereas with
quantized weights it first rounds the activations to 8 bits; on this copy its
logits are those of the same weights computed in float, as ours are, so
llama_cpp_agreement_test.cc can hold our forward pass to a tight tolerance.

    /work/pyref/bin/python tests/llama_cpp_reference/make_f32_gguf.py \
        /var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf /tmp/SmolLM2-135M-Instruct.F32.gguf
"""
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter, LlamaFileType
from gguf.quants import dequantize


def main(source: str, target: str) -> None:
    reader = GGUFReader(source)
    writer = GGUFWriter(target, reader.fields["general.architecture"].contents())
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        if name == "general.file_type":
            writer.add_file_type(LlamaFileType.ALL_F32)
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), value_type, sub_type)
    for tensor in reader.tensors:
        # dequantize() returns the numpy (slowest-first) shape GGUFWriter expects.
        writer.add_tensor(tensor.name, np.ascontiguousarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_f32_gguf.py SOURCE.gguf TARGET.gguf")
    main(sys.argv[1], sys.argv[2])
