#include "dictlab/atomic_file.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace dictlab {

TEST(AtomicFile, ReplacesTheOldFileOnlyOnCommit) {
  testing::TempDir dir;
  testing::write_text(dir / "a.txt", "old");
  {
    AtomicFile file(dir / "a.txt");
    file.write("new");
    EXPECT_EQ(testing::read_text(dir / "a.txt"), "old");  // not yet
    file.commit();
  }
  EXPECT_EQ(testing::read_text(dir / "a.txt"), "new");
}

TEST(AtomicFile, AbandonedWriteLeavesTheOldFileAndNoTempFile) {
  testing::TempDir dir;
  testing::write_text(dir / "a.txt", "old");
  {
    AtomicFile file(dir / "a.txt");
    file.write("half");
  }
  EXPECT_EQ(testing::read_text(dir / "a.txt"), "old");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, UnwritableFolderIsAPluginError) {
  EXPECT_THROW(AtomicFile("/proc/no-such-dir/file"), PluginError);
}

}  // namespace dictlab
