#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dictlab::host {

// manifest.json, written last and atomically into a finished stage's folder:
// its presence with a matching config digest is what "done" means.
struct StageManifest {
  std::string stage;
  std::string plugin;
  std::string plugin_version;
  std::string config_digest;  // plugin, version, options, seed, device, inputs' output digests
  std::string output_digest;  // contents of the stage's artifacts
  double duration_seconds = 0;
  std::string finished_at;    // UTC, ISO 8601
  std::string summary_json = "{}";  // what the stage's driver reported, e.g. document counts
  std::vector<std::string> inputs;  // the stages it read: who goes stale when one is redone
};

inline constexpr const char* kManifestFile = "manifest.json";
// Written when a stage starts; names the config digest the partial artifacts
// and checkpoints belong to, so a resumed run knows whether to keep them.
inline constexpr const char* kPendingFile = "pending.json";
// The stage's last metric values (Prometheus text), for serving a finished run.
inline constexpr const char* kStageMetricsFile = "metrics.prom";
inline constexpr const char* kCheckpointDir = "checkpoint";

std::optional<StageManifest> read_manifest(const std::filesystem::path& stage_dir);
void write_manifest(const std::filesystem::path& stage_dir, const StageManifest& manifest);

// The config digest recorded by the interrupted run of this stage, if any.
std::optional<std::string> read_pending_digest(const std::filesystem::path& stage_dir);
void write_pending_digest(const std::filesystem::path& stage_dir, const std::string& digest);

// Whether a stage folder holds dictlab's bookkeeping (a manifest or a pending
// digest): only such folders may be deleted when their stage is redone.
bool written_by_dictlab(const std::filesystem::path& stage_dir);

// Digest of every artifact in the folder except the bookkeeping files above.
std::string digest_outputs(const std::filesystem::path& stage_dir);

}  // namespace dictlab::host
