#include "gguf_source.h"

#include "dictlab/errors.h"
#include "dictlab/sha256.h"

#include <algorithm>
#include <vector>

namespace gguf_model {

GgufSource GgufSource::of(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file)) return of_folder(file);
  const auto bytes = std::filesystem::file_size(file, error);
  if (error) throw dictlab::PluginError("cannot read the model file " + file.string() + ": " + error.message());
  return {std::filesystem::absolute(file), bytes, dictlab::Sha256::of_file(file)};
}

// A folder's checksum covers the name and checksum of each of its files.
GgufSource GgufSource::of_folder(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  dictlab::Sha256 hash;
  std::uintmax_t bytes = 0;
  for (const auto& file : files) {
    bytes += std::filesystem::file_size(file);
    hash.update(file.filename().string() + " " + dictlab::Sha256::of_file(file) + "\n");
  }
  return {std::filesystem::absolute(folder), bytes, hash.hex_digest()};
}

GgufSource GgufSource::from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object() || !json.contains("file") || !json.contains("sha256") || !json.contains("bytes"))
    throw dictlab::PluginError(where + ": the model file's record (file, bytes, sha256) is missing");
  return {json.at("file").get<std::string>(), json.at("bytes").get<std::uintmax_t>(),
          json.at("sha256").get<std::string>()};
}

nlohmann::json GgufSource::to_json() const {
  return {{"file", file.string()}, {"bytes", bytes}, {"sha256", sha256}};
}

void GgufSource::check_unchanged(const std::string& stage_dir) const {
  if (!std::filesystem::exists(file))
    throw dictlab::PluginError("the model file " + file.string() + " that stage " + stage_dir + " imported is gone");
  if (of(file).sha256 != sha256)
    throw dictlab::PluginError("the model file " + file.string() + " changed since stage " + stage_dir +
                               " imported it; run that stage again (--force)");
}

}  // namespace gguf_model
