#pragma once

#include <filesystem>
#include <string>

#include "test_support.h"

namespace dictlab::testing {

// A few dozen KB of text in the scripts and formats the real corpus mixes
// (prose, code, Arabic, Hebrew, Chinese, Russian, DNA, base64, emoji), so a
// tokenizer and a model can be trained on it in seconds.
void write_tiny_corpus(const std::filesystem::path& dir);

// An experiment: text_files over `corpus_dir`, sentencepiece_bpe, and a
// toy_transformer small enough to train in a few seconds.
std::string tiny_pipeline_toml(const std::filesystem::path& run_dir, const std::filesystem::path& corpus_dir,
                               const std::string& model_options = "");

}  // namespace dictlab::testing
