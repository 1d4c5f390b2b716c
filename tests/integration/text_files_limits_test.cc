// text_files as a user runs it on an 8 KB .zst holding a 256 MiB line: the
// run fails at max_line_bytes naming the file and line, or stops at
// max_documents, with the dictlab process's peak RSS far below the line's
// size (it was 1.79 GB, the whole file and two copies of the line).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "test_support.h"
#include "zst_writer.h"

namespace dictlab::testing {
namespace {

struct MeasuredRun {
  int exit_code = -1;
  std::string output;
  long max_rss_kb = 0;
};

// run_command in a fresh child, whose RUSAGE_CHILDREN is then dictlab's alone.
MeasuredRun run_measured(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::filesystem::path& result_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const auto result = run_command(argv, env);
    struct rusage usage {};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    write_text(result_file, std::to_string(result.exit_code) + " " + std::to_string(usage.ru_maxrss) + "\n" +
                                result.output);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string text = read_text(result_file);
  MeasuredRun run;
  std::sscanf(text.c_str(), "%d %ld", &run.exit_code, &run.max_rss_kb);
  run.output = text.substr(text.find('\n') + 1);
  return run;
}

MeasuredRun run_text_files(const TempDir& dir, const std::string& options) {
  write_text(dir / "exp.toml", "[experiment]\nrun_dir = \"" + (dir / "run").string() +
                                   "\"\n\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" +
                                   (dir / "big.jsonl.zst").string() + "\"]\n" + options);
  return run_measured({DICTLAB_BINARY, "run", (dir / "exp.toml").string()},
                      {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}}, dir / "result.txt");
}

// dictlab's own peak with every built plugin loaded (LibTorch among them),
// reading a small file: what the limits below are measured against.
long baseline_rss_kb() {
  TempDir dir;
  write_zst(dir / "big.jsonl.zst", "{\"text\": \"small\"}\n", 0, "");
  const auto run = run_text_files(dir, "");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  return run.max_rss_kb;
}

TEST(TextFilesLimits, A256MiBLineIsRefusedAtTheDefaultCapNamingFileAndLine) {
  TempDir dir;
  write_zst(dir / "big.jsonl.zst", "{\"text\": \"small\"}\n{\"text\": \"", std::size_t{256} << 20, "\"}\n");
  const auto run = run_text_files(dir, "");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find((dir / "big.jsonl.zst").string() +
                            ":2: line longer than 67108864 bytes (raise max_line_bytes to read it)"),
            std::string::npos)
      << run.output;
  const long baseline = baseline_rss_kb();
  EXPECT_LT(run.max_rss_kb - baseline, 300 * 1024) << "peak RSS " << run.max_rss_kb << " KB, baseline " << baseline;
  std::printf("peak RSS of dictlab run: %ld KB\n", run.max_rss_kb);
}

TEST(TextFilesLimits, MaxDocumentsStopsReadingBeforeTheLongLine) {
  TempDir dir;
  write_zst(dir / "big.jsonl.zst", "{\"text\": \"one\"}\n{\"text\": \"two\"}\n{\"text\": \"", std::size_t{256} << 20,
            "\"}\n");
  const auto run = run_text_files(dir, "max_documents = 2\nmax_line_bytes = 1073741824\n");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(read_text(dir / "run/stages/corpus/documents.jsonl").size(), 2 * std::string("{\"meta\":{\"pile_set_name\":\"text\"},\"text\":\"one\"}\n").size());
  const long baseline = baseline_rss_kb();
  EXPECT_LT(run.max_rss_kb - baseline, 64 * 1024) << "peak RSS " << run.max_rss_kb << " KB, baseline " << baseline;
  std::printf("peak RSS of dictlab run: %ld KB\n", run.max_rss_kb);
}

}  // namespace
}  // namespace dictlab::testing
