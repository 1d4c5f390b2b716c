#include "manifest.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/sha256.h"

namespace dictlab::host {
namespace {

std::optional<nlohmann::json> read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

bool is_bookkeeping(const std::filesystem::path& relative) {
  const std::string first = relative.begin()->string();
  return first == kManifestFile || first == kPendingFile || first == kCheckpointDir || first == kStageMetricsFile ||
         relative.filename().string().find(".tmp-") != std::string::npos;
}

}  // namespace

std::optional<StageManifest> read_manifest(const std::filesystem::path& stage_dir) {
  auto json = read_json(stage_dir / kManifestFile);
  if (!json) return std::nullopt;
  StageManifest m;
  m.stage = json->value("stage", "");
  m.plugin = json->value("plugin", "");
  m.plugin_version = json->value("plugin_version", "");
  m.config_digest = json->value("config_digest", "");
  m.output_digest = json->value("output_digest", "");
  m.duration_seconds = json->value("duration_seconds", 0.0);
  m.finished_at = json->value("finished_at", "");
  if (json->contains("summary")) m.summary_json = (*json)["summary"].dump();
  if (const auto inputs = json->find("inputs"); inputs != json->end() && inputs->is_array())
    for (const auto& input : *inputs)
      if (input.is_string()) m.inputs.push_back(input.get<std::string>());
  if (m.config_digest.empty() || m.output_digest.empty()) return std::nullopt;
  return m;
}

void write_manifest(const std::filesystem::path& stage_dir, const StageManifest& m) {
  nlohmann::json json = {{"stage", m.stage},
                         {"plugin", m.plugin},
                         {"plugin_version", m.plugin_version},
                         {"config_digest", m.config_digest},
                         {"output_digest", m.output_digest},
                         {"duration_seconds", m.duration_seconds},
                         {"finished_at", m.finished_at},
                         {"summary", nlohmann::json::parse(m.summary_json)},
                         {"inputs", m.inputs}};
  AtomicFile::write_all(stage_dir / kManifestFile, json.dump(2) + "\n");
}

std::optional<std::string> read_pending_digest(const std::filesystem::path& stage_dir) {
  auto json = read_json(stage_dir / kPendingFile);
  if (!json || !json->contains("config_digest")) return std::nullopt;
  return (*json)["config_digest"].get<std::string>();
}

void write_pending_digest(const std::filesystem::path& stage_dir, const std::string& digest) {
  AtomicFile::write_all(stage_dir / kPendingFile, nlohmann::json({{"config_digest", digest}}).dump() + "\n");
}

bool written_by_dictlab(const std::filesystem::path& stage_dir) {
  return std::filesystem::exists(stage_dir / kManifestFile) || std::filesystem::exists(stage_dir / kPendingFile);
}

std::string digest_outputs(const std::filesystem::path& stage_dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(stage_dir)) {
    if (!entry.is_regular_file()) continue;
    const auto relative = std::filesystem::relative(entry.path(), stage_dir);
    if (!is_bookkeeping(relative)) files.push_back(relative);
  }
  std::sort(files.begin(), files.end());
  Sha256 all;
  for (const auto& relative : files) {
    all.update(relative.generic_string());
    all.update(std::string_view("\0", 1));
    all.update(Sha256::of_file(stage_dir / relative));
  }
  return all.hex_digest();
}

}  // namespace dictlab::host
