#pragma once

// The tokenizer of a GGUF file, from its tokenizer.ggml.* metadata.

#include "gguf_file.h"
#include "gguf_tokenizer.h"
#include "gguf_tokenizer_spec.h"

namespace gguf_model {

// The metadata as plain data. Throws dictlab::PluginError naming the file and
// the key when tokenizer.ggml.model or .tokens is missing or a key has the
// wrong type.
TokenizerSpec tokenizer_spec_from_gguf(const GgufFile& file);

GgufTokenizer tokenizer_from_gguf(const GgufFile& file);

}  // namespace gguf_model
