#pragma once

// The tokenizer files a sentencepiece_bpe stage writes and a toy_transformer
// stage carries beside its weights:
//   dictlab_tokenizer.json  dictlab's vocabulary (dictlab/bpe_tokenizer.h),
//                           what the SDK and the browser encode with
//   tokenizer.json          the same vocabulary for Hugging Face `tokenizers`
//   tokenizer_config.json   what transformers.AutoTokenizer reads beside it
//   tokenizer.model         SentencePiece's own model proto
// Stages written before the Hugging Face export (before December 2026)
// held dictlab's vocabulary under tokenizer.json; they are still read.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "dictlab/atomic_file.h"
#include "dictlab/bpe_tokenizer.h"
#include "dictlab/errors.h"
#include "dictlab/hf_tokenizer_json.h"

namespace dictlab {

inline constexpr const char* kBpeVocabularyFile = "dictlab_tokenizer.json";

// dictlab's vocabulary file in a stage directory: dictlab_tokenizer.json, or
// in an older stage a tokenizer.json in dictlab's format.
inline std::filesystem::path bpe_vocabulary_file(const std::filesystem::path& stage_dir) {
  const auto current = stage_dir / kBpeVocabularyFile;
  if (std::filesystem::exists(current)) return current;
  const auto legacy = stage_dir / "tokenizer.json";
  std::ifstream in(legacy);
  if (in) {
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_object() && json.contains("pieces")) return legacy;
  }
  throw PluginError("no " + std::string(kBpeVocabularyFile) + " in " + stage_dir.string() +
                    " (nor a tokenizer.json in dictlab's format, as older stages wrote): is it a finished "
                    "sentencepiece_bpe or toy_transformer stage?");
}

inline std::string read_file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PluginError("cannot read " + file.string() + ": " + std::strerror(errno));
  return {std::istreambuf_iterator<char>(in), {}};
}

// Writes every tokenizer file of `from_stage` into `to_dir`: dictlab's
// vocabulary and SentencePiece's model copied, the Hugging Face files made
// anew (so a model trained on an older tokenizer stage has them too).
inline void write_tokenizer_files(const std::filesystem::path& from_stage, const std::filesystem::path& to_dir,
                                  std::optional<std::int64_t> model_max_length = std::nullopt) {
  const auto source = bpe_vocabulary_file(from_stage);
  const std::string bytes = read_file_bytes(source);
  const auto vocabulary = nlohmann::json::parse(bytes, nullptr, false);
  if (vocabulary.is_discarded()) throw PluginError(source.string() + ": not valid JSON");
  AtomicFile::write_all(to_dir / kBpeVocabularyFile, bytes);
  write_hugging_face_tokenizer(to_dir, vocabulary, model_max_length, source.string());
  if (std::filesystem::exists(from_stage / "tokenizer.model"))
    std::filesystem::copy_file(from_stage / "tokenizer.model", to_dir / "tokenizer.model",
                               std::filesystem::copy_options::overwrite_existing);
}

}  // namespace dictlab
