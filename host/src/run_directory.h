#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace dictlab::host {

// A run's folder, held under an exclusive lock for the whole run so that two
// `dictlab run`s never write the same stages at once.
//
//   <root>/.dictlab-run         marks the folder as a run: dictlab writes and
//                               deletes only inside folders that carry it
//   <root>/experiment.toml      the experiment as last run
//   <root>/metrics.prom         final metrics, Prometheus text format
//   <root>/stages/<stage>/      artifacts + manifest.json (+ checkpoint/)
class RunDirectory {
 public:
  static constexpr const char* kMarkerFile = ".dictlab-run";

  // Creates the run directory, or opens one dictlab made. An existing folder
  // that is neither empty nor a run is refused (FailedPrecondition) untouched.
  static absl::StatusOr<RunDirectory> open(const std::filesystem::path& root);
  RunDirectory(RunDirectory&& other) noexcept;
  RunDirectory& operator=(RunDirectory&&) = delete;
  ~RunDirectory();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path stage_dir(const std::string& stage) const { return root_ / "stages" / stage; }

 private:
  RunDirectory(std::filesystem::path root, int lock_fd) : root_(std::move(root)), lock_fd_(lock_fd) {}
  std::filesystem::path root_;
  int lock_fd_ = -1;
};

}  // namespace dictlab::host
