// The dequantizers against gguf-py's reference numpy ones (quants.py), bit for
// bit, on blocks gguf-py quantized, random K-quant blocks and blocks sliced
// from SmolLM2 and gemma3 (tests/models/gguf_fixtures/make_fixtures.py).

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <dictlab/errors.h>

#include "gguf_file.h"
#include "gguf_quants.h"

namespace {

using gguf_model::GgmlType;

const std::filesystem::path kFixtures = GGUF_FIXTURE_DIR;

std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// Same bits, or both NaN (gguf-py's float16 NaN and ours may differ in payload).
bool same_float(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (std::isnan(a) && std::isnan(b));
}

TEST(GgufQuants, EveryDecodedTypeMatchesGgufPyBitForBit) {
  const gguf_model::GgufFile file(kFixtures / "quant_blocks.gguf");
  const std::vector<float> expected = read_floats(kFixtures / "quant_blocks.expected.f32");
  std::size_t at = 0;
  std::set<GgmlType> seen;
  for (const auto& info : file.tensors()) {
    SCOPED_TRACE(info.name + " (" + gguf_model::type_name(info.type) + ")");
    const std::vector<float> values = gguf_model::dequantize_tensor(file, info);
    ASSERT_LE(at + values.size(), expected.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!same_float(values[i], expected[at + i]) && mismatches++ < 3)
        ADD_FAILURE() << "element " << i << ": " << values[i] << " != gguf-py's " << expected[at + i];
    at += values.size();
    seen.insert(info.type);
  }
  EXPECT_EQ(at, expected.size());
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                        GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                        GgmlType::Q6_K})
    EXPECT_TRUE(seen.contains(type)) << gguf_model::type_name(type) << " has no fixture";
}

TEST(GgufQuants, IntoACallersBufferOfTheRightSizeOnly) {
  const gguf_model::GgufFile file(kFixtures / "quant_blocks.gguf");
  const auto& info = file.tensor("q4_k.gemma3");
  std::vector<float> out(static_cast<std::size_t>(info.n_elements));
  gguf_model::dequantize_tensor_into(file, info, out);
  EXPECT_EQ(out, gguf_model::dequantize_tensor(file, info));
  out.pop_back();
  try {
    gguf_model::dequantize_tensor_into(file, info, out);
    ADD_FAILURE() << "no PluginError";
  } catch (const dictlab::PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("tensor 'q4_k.gemma3' has 512 elements, the buffer for it 511"),
              std::string::npos)
        << error.what();
  }
}

#if defined(__FLT16_MAX__)
// The compiler's own _Float16 conversion is an independent reference for all
// 65536 halves.
TEST(GgufQuants, HalfToFloatMatchesTheCompilerForEveryBitPattern) {
  for (std::uint32_t bits = 0; bits < 65536; ++bits) {
    const auto half = std::bit_cast<_Float16>(static_cast<std::uint16_t>(bits));
    const float reference = static_cast<float>(half);
    ASSERT_TRUE(same_float(gguf_model::fp16_to_float(static_cast<std::uint16_t>(bits)), reference)) << bits;
  }
}
#endif

TEST(GgufQuants, SizesAndPartialBlocks) {
  EXPECT_EQ(gguf_model::bytes_for(GgmlType::Q4_K, 512), 288);
  EXPECT_EQ(gguf_model::bytes_for(GgmlType::Q8_0, 64), 68);
  EXPECT_EQ(gguf_model::bytes_for(GgmlType::F16, 3), 6);
  EXPECT_EQ(gguf_model::type_name(GgmlType::Q6_K), "Q6_K");
  std::vector<std::byte> block(34);
  std::vector<float> out(32);
  EXPECT_THROW(gguf_model::dequantize(GgmlType::Q8_0, block.data(), 16, out.data()), dictlab::PluginError);
  EXPECT_THROW(gguf_model::dequantize(GgmlType::IQ2_XS, block.data(), 256, out.data()), dictlab::PluginError);
  EXPECT_THROW(gguf_model::dequantize(static_cast<GgmlType>(4), block.data(), 32, out.data()), dictlab::PluginError);
}

}  // namespace
