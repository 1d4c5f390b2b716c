// A write that fails (a full disk, a file size limit) is reported with the
// file and strerror, not "write failed".
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <iostream>

#include "dictlab/atomic_file.h"
#include "dictlab/file_output.h"
#include "test_support.h"

namespace dictlab {
namespace {

TEST(FileOutputErrors, DevFullReportsNoSpaceLeftOnDevice) {
  FileOutputBuffer buffer("/dev/full");
  std::ostream out(&buffer);
  out << std::string(1 << 20, 'x');
  out.flush();
  EXPECT_FALSE(out);
  EXPECT_EQ(buffer.error(), ENOSPC);
  EXPECT_EQ(buffer.finish(), ENOSPC);
}

// RLIMIT_FSIZE makes write() fail with EFBIG, as a full disk makes it fail
// with ENOSPC, on any filesystem and without root. Run in a death-test child
// so the limit stays there; prints the error and exits 3.
[[noreturn]] void write_past_a_file_size_limit(const std::filesystem::path& path) {
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit {};
  limit.rlim_cur = limit.rlim_max = 4096;
  ::setrlimit(RLIMIT_FSIZE, &limit);
  try {
    AtomicFile file(path);
    file.stream() << std::string(1 << 20, 'x');
    file.commit();
  } catch (const PluginError& e) {
    std::cerr << e.what() << std::endl;
    std::_Exit(3);
  }
  std::_Exit(0);
}

TEST(AtomicFileErrors, FailedWriteNamesTheFileAndTheReason) {
  testing::TempDir dir;
  const auto path = dir / "out.jsonl";
  EXPECT_EXIT(write_past_a_file_size_limit(path), ::testing::ExitedWithCode(3),
              "cannot write .*out\\.jsonl: File too large");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(AtomicFileErrors, UnwritableFolderNamesTheReason) {
  try {
    AtomicFile("/proc/no-such-dir/file");
    FAIL() << "no error";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/no-such-dir/file.tmp-"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(": No such file or directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dictlab
