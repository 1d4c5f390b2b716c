#include "run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dictlab/atomic_file.h"

namespace dictlab::host {

namespace {

// Runs made before the marker existed: the lock file beside stages/.
bool is_unmarked_earlier_run(const std::filesystem::path& root) {
  return std::filesystem::exists(root / "run.lock") && std::filesystem::is_directory(root / "stages");
}

absl::Status check_ours_or_new(const std::filesystem::path& root) {
  std::error_code error;
  const auto status = std::filesystem::status(root, error);
  if (!std::filesystem::exists(status)) return absl::OkStatus();
  if (!std::filesystem::is_directory(status))
    return absl::FailedPreconditionError("run directory " + root.string() + " exists and is not a folder");
  if (std::filesystem::exists(root / RunDirectory::kMarkerFile) || std::filesystem::is_empty(root, error) ||
      is_unmarked_earlier_run(root))
    return absl::OkStatus();
  return absl::FailedPreconditionError(
      "run directory " + root.string() + " is a folder that dictlab did not create (it has no " +
      RunDirectory::kMarkerFile + "); a run writes and deletes files there, so nothing was touched. "
      "Choose a new or empty folder");
}

}  // namespace

absl::StatusOr<RunDirectory> RunDirectory::open(const std::filesystem::path& root) {
  if (auto ours = check_ours_or_new(root); !ours.ok()) return ours;
  std::error_code error;
  std::filesystem::create_directories(root / "stages", error);
  if (error) return absl::PermissionDeniedError("cannot create run directory " + root.string() + ": " + error.message());

  // Probe with a real write: permissions alone do not tell (read-only
  // mounts, root, quotas).
  try {
    AtomicFile::write_all(root / ".write-probe", "ok\n");
    std::filesystem::remove(root / ".write-probe");
    if (!std::filesystem::exists(root / kMarkerFile))
      AtomicFile::write_all(root / kMarkerFile, "A dictlab run directory: `dictlab run` may write and delete here.\n");
  } catch (const std::exception& e) {
    return absl::PermissionDeniedError("run directory " + root.string() + " is not writable: " + e.what());
  }

  const std::filesystem::path lock_path = root / "run.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::PermissionDeniedError("cannot open " + lock_path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError("another dictlab run is using " + root.string() + " (" +
                                         lock_path.string() + " is locked)");
  }
  return RunDirectory(std::filesystem::absolute(root), fd);
}

RunDirectory::RunDirectory(RunDirectory&& other) noexcept
    : root_(std::move(other.root_)), lock_fd_(std::exchange(other.lock_fd_, -1)) {}

RunDirectory::~RunDirectory() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace dictlab::host
