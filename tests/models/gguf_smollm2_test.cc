// The real SmolLM2-135M-Instruct Q4_1 file: its metadata, and every tensor
// dequantized and compared with gguf-py's values (smollm2_tensors.json, made
// by tests/models/gguf_fixtures/make_fixtures.py). Prints the throughput.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "gguf_file.h"
#include "gguf_quants.h"

namespace {

const std::filesystem::path kFixtures = GGUF_FIXTURE_DIR;

std::optional<std::filesystem::path> smollm2_path() {
  const char* cache = std::getenv("DICTLAB_LLM_CACHE");
  const std::filesystem::path path =
      std::filesystem::path(cache ? cache : "/var/cache/dictlab/llm") / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

#define SKIP_WITHOUT_SMOLLM2(path)                                                                    \
  const auto path = smollm2_path();                                                                  \
  if (!path) GTEST_SKIP() << "SmolLM2-135M-Instruct.Q4_1.gguf is not in /var/cache/dictlab/llm "    \
                             "(or $DICTLAB_LLM_CACHE); get it with `bash .ci/install-llm`"

TEST(GgufSmolLM2, MetadataDescribesALlamaModel) {
  SKIP_WITHOUT_SMOLLM2(path);
  const gguf_model::GgufFile file(*path);
  EXPECT_EQ(file.get_string("general.architecture"), "llama");
  EXPECT_EQ(file.get_uint("llama.block_count"), 30U);
  EXPECT_EQ(file.get_uint("llama.embedding_length"), 576U);
  EXPECT_EQ(file.get_strings("tokenizer.ggml.tokens").size(), 49152U);
  EXPECT_EQ(file.get_ints("tokenizer.ggml.token_type").size(), 49152U);
  EXPECT_EQ(file.tensor("token_embd.weight").dims, (std::vector<std::int64_t>{576, 49152}));
}

TEST(GgufSmolLM2, EveryTensorDequantizesToGgufPysValues) {
  SKIP_WITHOUT_SMOLLM2(path);
  const gguf_model::GgufFile file(*path);
  const auto expected = nlohmann::json::parse(std::ifstream(kFixtures / "smollm2_tensors.json"));
  ASSERT_EQ(file.tensors().size(), expected.size());
  double seconds = 0;
  std::int64_t bytes = 0;
  std::int64_t elements = 0;
  for (const auto& info : file.tensors()) {
    SCOPED_TRACE(info.name);
    ASSERT_TRUE(expected.contains(info.name));
    const auto& want = expected[info.name];
    EXPECT_EQ(gguf_model::type_name(info.type), want["type"].get<std::string>());
    EXPECT_EQ(info.dims, want["dims"].get<std::vector<std::int64_t>>());
    const auto start = std::chrono::steady_clock::now();
    const std::vector<float> values = gguf_model::dequantize_tensor(file, info);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bytes += static_cast<std::int64_t>(file.data(info).size());
    elements += info.n_elements;
    double sum = 0;
    double abs_sum = 0;
    for (float v : values) {
      sum += v;
      abs_sum += std::fabs(v);
    }
    // gguf-py's sums are exact (math.fsum); ours are sequential doubles, off by
    // at most n * 2^-53 of the magnitudes.
    const double tolerance = 1e-9 * want["abs_sum"].get<double>() + 1e-12;
    EXPECT_NEAR(sum, want["sum"].get<double>(), tolerance);
    EXPECT_NEAR(abs_sum, want["abs_sum"].get<double>(), tolerance);
    for (const auto& sample : want["samples"]) {
      const auto index = sample[0].get<std::size_t>();
      ASSERT_LT(index, values.size());
      EXPECT_EQ(values[index], sample[1].get<float>()) << "element " << index;
    }
  }
  std::cout << "[ figures  ] dequantized " << elements << " elements from " << bytes / 1e6 << " MB in " << seconds
            << " s: " << bytes / 1e6 / seconds << " MB/s of GGUF data, " << elements * 4 / 1e6 / seconds
            << " MB/s of float32 out\n";
}

}  // namespace
