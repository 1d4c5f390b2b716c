// text_files reads .jsonl.zst and plain text as streams: memory stays near
// the line or document cap however large the file, measured as the peak RSS
// of a child process that reads a 256 MiB line compressed to a few KB.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "dictlab/documents_jsonl.h"
#include "test_support.h"
#include "zst_writer.h"
#include "text_chunks.h"
#include "zstd_input.h"

namespace {

using dictlab::Document;
using dictlab::PluginError;
using dictlab::testing::write_zst;

struct ChildResult {
  std::string message;  // the PluginError, or "no error"
  long max_rss_kb = 0;
};

// Runs `work` in a child process; its peak RSS is the child's own (wait4).
ChildResult in_child(const std::function<void()>& work) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {"pipe failed", 0};
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::string message = "no error";
    try {
      work();
    } catch (const std::exception& e) {
      message = e.what();
    }
    (void)!::write(pipe_fds[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ChildResult result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) result.message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  result.max_rss_kb = usage.ru_maxrss;
  return result;
}

TEST(TextFilesStreaming, A256MiBLineInAZstFileIsRefusedAtTheCapWithBoundedMemory) {
  dictlab::testing::TempDir dir;
  const auto file = dir / "big.jsonl.zst";
  write_zst(file, "{\"text\": \"small\"}\n{\"text\": \"", std::size_t{256} << 20, "\"}\n");
  ASSERT_LT(std::filesystem::file_size(file), 100'000u);
  const auto result = in_child([&] {
    text_files::ZstdInput in(file);
    dictlab::read_documents_jsonl(in, file.string(), "", [](Document&&) { return true; }, 1 << 20, "max_line_bytes");
  });
  EXPECT_EQ(result.message, file.string() + ":2: line longer than 1048576 bytes (raise max_line_bytes to read it)");
  EXPECT_LT(result.max_rss_kb, 64 * 1024) << "peak RSS " << result.max_rss_kb << " KB";
  std::printf("peak RSS of the reading process: %ld KB\n", result.max_rss_kb);
}

TEST(TextFilesStreaming, ZstJsonlReadsEveryDocumentAcrossBufferBoundaries) {
  dictlab::testing::TempDir dir;
  const auto file = dir / "docs.jsonl.zst";
  // The long document spans several of zstd's 128 KiB output buffers.
  write_zst(file, "{\"text\": \"one\"}\n{\"text\": \"", 300000, "\"}\n{\"text\": \"three\", \"meta\": {\"pile_set_name\": \"s\"}}\n");
  text_files::ZstdInput in(file);
  std::vector<Document> documents;
  dictlab::read_documents_jsonl(in, file.string(), "default", [&](Document&& d) { return documents.push_back(d), true; });
  ASSERT_EQ(documents.size(), 3u);
  EXPECT_EQ(documents[0].text, "one");
  EXPECT_EQ(documents[1].text, std::string(300000, 'a'));
  EXPECT_EQ(documents[2].source, "s");
}

TEST(TextFilesStreaming, TruncatedOrCorruptZstIsAPluginErrorNamingTheFile) {
  dictlab::testing::TempDir dir;
  const auto file = dir / "docs.jsonl.zst";
  write_zst(file, "{\"text\": \"", 100000, "\"}\n");
  const std::string bytes = dictlab::testing::read_text(file);
  auto error_of = [&](const std::string& content) {
    dictlab::testing::write_text(file, content);
    try {
      text_files::ZstdInput in(file);
      dictlab::read_documents_jsonl(in, file.string(), "", [](Document&&) { return true; });
    } catch (const PluginError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(bytes.substr(0, bytes.size() - 3)), file.string() + ": truncated zstd stream");
  EXPECT_NE(error_of("not zstd at all").find(file.string() + ": corrupt zstd data"), std::string::npos);
}

TEST(TextFilesStreaming, LongTextFileIsSplitIntoCappedDocumentsWithBoundedMemory) {
  dictlab::testing::TempDir dir;
  const auto file = dir / "big.txt";
  {
    std::ofstream out(file, std::ios::binary);
    const std::string line(999, 'x');
    for (int i = 0; i < 40 * 1024; ++i) out << line << '\n';  // 40 MiB in 1000-byte lines
  }
  std::size_t count = 0;
  const auto result = in_child([&] {
    text_files::read_text_documents(file, 1 << 20, [&](std::string&& text) {
      if (text.size() > (1u << 20) || text.back() != '\n') throw PluginError("bad document of " + std::to_string(text.size()));
      return ++count, true;
    });
    if (count != 40) throw PluginError(std::to_string(count) + " documents");
  });
  EXPECT_EQ(result.message, "no error");
  EXPECT_LT(result.max_rss_kb, 64 * 1024) << "peak RSS " << result.max_rss_kb << " KB";
  std::printf("peak RSS of the reading process: %ld KB\n", result.max_rss_kb);
}

TEST(TextFilesStreaming, TextSplitsAtTheLastLineBreakOrAtTheCap) {
  dictlab::testing::TempDir dir;
  const auto file = dir / "t.txt";
  dictlab::testing::write_text(file, "ab\ncd\nefghijkl\n");
  std::vector<std::string> documents;
  text_files::read_text_documents(file, 5, [&](std::string&& text) { return documents.push_back(text), true; });
  EXPECT_EQ(documents, (std::vector<std::string>{"ab\n", "cd\n", "efghi", "jkl\n"}));
  EXPECT_TRUE(text_files::looks_like_text(file));
  dictlab::testing::write_text(file, std::string("text\0binary", 11));
  EXPECT_FALSE(text_files::looks_like_text(file));
}

}  // namespace
