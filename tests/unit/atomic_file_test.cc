#include "dictlab/atomic_file.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

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

// Two threads of one process once shared the temp name (it held only the
// pid), and the second rename found no file: a lost LLM cache entry.
TEST(AtomicFile, ThreadsWritingOnePathAtOnceAllCommitAndOneWriteWins) {
  testing::TempDir dir;
  std::vector<std::string> errors(8);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        try {
          for (int i = 0; i < 50; ++i) AtomicFile::write_all(dir / "a.txt", std::string(1000, char('a' + t)));
        } catch (const PluginError& error) {
          errors[t] = error.what();
        }
      });
  }
  for (const auto& error : errors) EXPECT_EQ(error, "");
  const std::string text = testing::read_text(dir / "a.txt");
  ASSERT_EQ(text.size(), 1000u);
  EXPECT_EQ(text, std::string(1000, text[0]));
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, UnwritableFolderIsAPluginError) {
  EXPECT_THROW(AtomicFile("/proc/no-such-dir/file"), PluginError);
}

}  // namespace dictlab
