// Mutated Pile-style JSONL, plain and .zst: broken JSON, lines past the cap,
// corrupt and truncated zstd frames, through the readers text_files uses.
#include <gtest/gtest.h>
#include <zstd.h>

#include "dictlab/documents_jsonl.h"
#include "fuzz_runner.h"
#include "zstd_input.h"

namespace dictlab::fuzz {
namespace {

// Small, so that mutations (duplicated ranges, splices) cross it often.
constexpr std::size_t kLineCap = 2048;

std::vector<std::string> jsonl_seeds() {
  return {"{\"text\": \"plain text\", \"meta\": {\"pile_set_name\": \"Pile-CC\"}}\n{\"text\": \"second\"}\n",
          "{\"text\": \"caf\\u00e9 \\\"quoted\\\" \\n newline\", \"meta\": {}}\n\n{\"text\": \"" + std::string(1500, 'x') +
              "\"}",
          "{\"text\": \"\", \"meta\": {\"pile_set_name\": 7}}\r\n{\"text\": \"42\", \"extra\": [1, 2, {\"a\": null}]}\n"};
}

std::string zstd_compress(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

void read_all(std::istream& in, const std::filesystem::path& file) {
  std::size_t bytes = 0;
  read_documents_jsonl(in, file.string(), "default", [&](Document&& d) {
    if (d.text.size() > kLineCap) throw std::logic_error("a document longer than its line");
    return bytes += d.text.size() + d.source.size(), true;
  }, kLineCap, "max_line_bytes");
}

TEST(JsonlFuzz, MutatedJsonlReadsOrFailsWithAClearError) {
  run_fuzz({.name = "jsonl",
            .seeds = jsonl_seeds(),
            .inputs = 20000,
            .parse =
                [](const std::filesystem::path& file) {
                  std::ifstream in(file, std::ios::binary);
                  read_all(in, file);
                },
            .file_name = "corpus.jsonl"});
}

TEST(JsonlFuzz, MutatedJsonlZstReadsOrFailsWithAClearError) {
  std::vector<std::string> seeds;
  for (const auto& seed : jsonl_seeds()) seeds.push_back(zstd_compress(seed));
  seeds.push_back(zstd_compress(jsonl_seeds()[0]) + zstd_compress(jsonl_seeds()[2]));  // two frames
  run_fuzz({.name = "jsonl.zst",
            .seeds = seeds,
            .inputs = 10000,
            .parse =
                [](const std::filesystem::path& file) {
                  text_files::ZstdInput in(file);
                  read_all(in, file);
                },
            .file_name = "corpus.jsonl.zst"});
}

}  // namespace
}  // namespace dictlab::fuzz
