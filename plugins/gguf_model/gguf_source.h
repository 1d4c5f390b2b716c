#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace gguf_model {

// Which GGUF file a stage read, recorded in its artifacts so that a later
// stage can tell that it reads the same model (the model stage and the
// token stage must agree on the tokenizer) and that the file did not change.
struct GgufSource {
  std::filesystem::path file;
  std::uintmax_t bytes = 0;
  std::string sha256;

  // Hashes the file, or every file of a Hugging Face folder (a fraction of
  // a second for SmolLM2's 94 MiB GGUF).
  static GgufSource of(const std::filesystem::path& file);
  static GgufSource of_folder(const std::filesystem::path& folder);
  static GgufSource from_json(const nlohmann::json& json, const std::string& where);
  nlohmann::json to_json() const;
  // Throws dictlab::PluginError when the file is gone or differs from what
  // was recorded: the artifacts of this stage describe another model.
  void check_unchanged(const std::string& stage_dir) const;
};

}  // namespace gguf_model
