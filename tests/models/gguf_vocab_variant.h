#pragma once

// Vocabulary-only copies of a GGUF file with some metadata changed, so that
// llama.cpp (which loads such a file with vocabOnly) and the GGUF tokenizer
// can be compared on tokenizer settings no model at hand has, e.g. an
// add_space_prefix SentencePiece vocabulary or the plain GPT-2 pre-tokenizer.

#include <filesystem>
#include <map>
#include <string>

#include "gguf_file.h"

namespace gguf_test {

// Writes every metadata entry of `file` (with `changes` replacing or adding
// entries) and no tensors to `out`.
void write_vocab_variant(const gguf_model::GgufFile& file, const std::map<std::string, gguf_model::GgufValue>& changes,
                         const std::filesystem::path& out);

gguf_model::GgufValue string_value(std::string s);
gguf_model::GgufValue bool_value(bool b);

}  // namespace gguf_test
