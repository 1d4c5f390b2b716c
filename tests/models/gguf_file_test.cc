// GgufFile: metadata of every type read back as gguf-py reads it, and
// malformed files rejected with PluginErrors that say where and what.

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>

#include <dictlab/errors.h>
#include <nlohmann/json.hpp>

#include "gguf_file.h"
#include "gguf_quants.h"
#include "gguf_test_bytes.h"
#include "test_support.h"

namespace {

using gguf_model::GgmlType;
using gguf_model::GgufFile;
using gguf_model::GgufValue;
using gguf_model::GgufValueType;
using gguf_test::GgufBytes;

const std::filesystem::path kFixtures = GGUF_FIXTURE_DIR;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Compares one value with gguf-py's reading of it (metadata.expected.json).
void expect_value(const GgufValue& value, const nlohmann::json& expected, const std::string& key) {
  SCOPED_TRACE(key);
  if (value.is_array()) {
    const auto& items = std::get<std::vector<GgufValue>>(value.value);
    ASSERT_EQ(items.size(), expected.size());
    for (std::size_t i = 0; i < items.size(); ++i) expect_value(items[i], expected[i], key + "[" + std::to_string(i) + "]");
  } else if (value.type == GgufValueType::STRING) {
    EXPECT_EQ(std::get<std::string>(value.value), expected.get<std::string>());
  } else if (value.type == GgufValueType::BOOL) {
    EXPECT_EQ(std::get<bool>(value.value), expected.get<bool>());
  } else if (value.is_float()) {
    EXPECT_EQ(std::get<double>(value.value), expected.get<double>());  // float32 widens exactly
  } else if (const auto* u = std::get_if<std::uint64_t>(&value.value)) {
    EXPECT_EQ(*u, expected.get<std::uint64_t>());
  } else {
    EXPECT_EQ(std::get<std::int64_t>(value.value), expected.get<std::int64_t>());
  }
}

TEST(GgufMetadata, EveryValueTypeReadsBackAsGgufPyReadsIt) {
  const GgufFile file(kFixtures / "metadata.gguf");
  const auto expected = nlohmann::json::parse(std::ifstream(kFixtures / "metadata.expected.json"));
  ASSERT_EQ(file.metadata().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& entry = file.metadata()[i];
    const auto& want = expected[i];
    EXPECT_EQ(entry.key, want["key"].get<std::string>());  // file order kept
    const GgufValue* found = file.find(entry.key);
    ASSERT_EQ(found, &entry.value);
    EXPECT_EQ(upper(gguf_model::value_type_name(entry.value.type)), want["type"].get<std::string>()) << entry.key;
    if (entry.value.is_array())
      EXPECT_EQ(upper(gguf_model::value_type_name(entry.value.element_type)), want["element_type"].get<std::string>());
    expect_value(entry.value, want["value"], entry.key);
  }
}

// The PluginError `call` throws; fails the test when it throws nothing.
template <typename Call>
std::string error_of(Call&& call) {
  try {
    call();
  } catch (const dictlab::PluginError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no PluginError";
  return {};
}

TEST(GgufMetadata, TypedGettersWidenIntegersAndFloats) {
  const GgufFile file(kFixtures / "metadata.gguf");
  EXPECT_EQ(file.version(), 3U);
  EXPECT_EQ(file.get_string("general.architecture"), "fixture");
  EXPECT_EQ(file.get_string("test.empty_string"), "");
  EXPECT_EQ(file.get_uint("test.uint8"), 255U);
  EXPECT_EQ(file.get_uint("test.uint64"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(file.get_int("test.int8"), -128);
  EXPECT_EQ(file.get_int("test.uint32"), 4294967295);
  EXPECT_EQ(file.get_int("test.int64"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(file.get_float("test.float32"), static_cast<double>(0.1F));
  EXPECT_EQ(file.get_float("test.float64"), -1e300);
  EXPECT_TRUE(file.get_bool("test.bool_true"));
  EXPECT_FALSE(file.get_bool("test.bool_false"));
  EXPECT_EQ(file.get_strings("test.array_string"), (std::vector<std::string>{"a", "", "\xC3\xBC" "ber"}));
  EXPECT_EQ(file.get_floats("test.array_float32"), (std::vector<float>{0.5F, -2.25F, 3.4e38F}));
  EXPECT_EQ(file.get_floats("test.array_float64"), (std::vector<float>{static_cast<float>(1e-300), -0.0F}));
  EXPECT_EQ(file.get_ints("test.array_int32"), (std::vector<std::int64_t>{-5, 0, 7}));
  EXPECT_EQ(file.get_ints("test.array_uint8"), (std::vector<std::int64_t>{0, 1, 255}));
  EXPECT_EQ(file.try_uint("test.uint16"), std::optional<std::uint64_t>(65535));
  EXPECT_EQ(file.try_uint("test.absent"), std::nullopt);
  EXPECT_EQ(file.try_string("test.absent"), std::nullopt);
  EXPECT_EQ(file.try_float("test.absent"), std::nullopt);
  EXPECT_EQ(file.try_bool("test.bool_true"), std::optional<bool>(true));
}

TEST(GgufMetadata, WrongTypesAndMissingKeysNameFileKeyAndTypes) {
  const auto path = kFixtures / "metadata.gguf";
  const GgufFile file(path);
  EXPECT_EQ(error_of([&] { file.get_uint("test.string"); }),
            path.string() + ": metadata key 'test.string' is string, expected an integer");
  EXPECT_EQ(error_of([&] { file.get_string("test.array_string"); }),
            path.string() + ": metadata key 'test.array_string' is array of string, expected string");
  EXPECT_EQ(error_of([&] { file.get_strings("test.array_int32"); }),
            path.string() + ": metadata key 'test.array_int32' is array of int32, expected array of string");
  EXPECT_EQ(error_of([&] { file.get_float("test.uint8"); }),
            path.string() + ": metadata key 'test.uint8' is uint8, expected float32 or float64");
  EXPECT_EQ(error_of([&] { file.get_bool("test.uint8"); }),
            path.string() + ": metadata key 'test.uint8' is uint8, expected bool");
  EXPECT_EQ(error_of([&] { file.get_floats("test.array_nested"); }),
            path.string() + ": metadata key 'test.array_nested' is array of array, expected array of float32 or float64");
  EXPECT_EQ(error_of([&] { file.get_string("llama.block_count"); }),
            path.string() + ": has no metadata key 'llama.block_count'");
  EXPECT_EQ(error_of([&] { file.try_bool("test.string"); }),
            path.string() + ": metadata key 'test.string' is string, expected bool");
  EXPECT_NE(error_of([&] { file.get_uint("test.int16"); }).find("'test.int16' is -32768, expected >= 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { file.get_int("test.uint64"); }).find("too large for int64"), std::string::npos);
  EXPECT_NE(error_of([&] { file.get_ints("test.array_uint64"); }).find("'test.array_uint64' item 0 is too large"),
            std::string::npos);
}

TEST(GgufTensors, TableAlignmentAndDataFollowTheFile) {
  const GgufFile file(kFixtures / "metadata.gguf");
  EXPECT_EQ(file.alignment(), 64U);
  EXPECT_EQ(file.data_offset() % 64, 0U);
  ASSERT_EQ(file.tensors().size(), 1U);
  const auto& tiny = file.tensor("tiny");
  EXPECT_EQ(tiny.dims, (std::vector<std::int64_t>{3, 2}));  // numpy (2, 3): ne[0] = 3 varies fastest
  EXPECT_EQ(tiny.type, GgmlType::F32);
  EXPECT_EQ(tiny.n_elements, 6);
  const auto values = gguf_model::dequantize_tensor(file, tiny);
  EXPECT_EQ(values, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(file.find_tensor("absent"), nullptr);
  EXPECT_NE(error_of([&] { file.tensor("absent"); }).find("has no tensor 'absent' (it has 1 tensors)"),
            std::string::npos);
}

// ---- malformed files ----

class GgufCorrupt : public ::testing::Test {
 protected:
  // The PluginError opening `bytes` gives; it must name the file.
  std::string open_error(const GgufBytes& bytes) { return open_error(bytes.bytes()); }
  std::string open_error(const std::string& bytes) {
    const auto path = dir_ / "corrupt.gguf";
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const std::string message = error_of([&] { GgufFile file(path); });
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0U) << message;
    return message;
  }
  dictlab::testing::TempDir dir_;
};

#define EXPECT_CONTAINS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(GgufCorrupt, HeaderProblemsNameTheByteAndField) {
  EXPECT_CONTAINS(open_error(""), "byte 0: file ends while reading magic (needs 4 bytes, 0 left) (header)");
  EXPECT_CONTAINS(open_error("GGML\3\0\0\0"), "byte 0: not a GGUF file");
  EXPECT_CONTAINS(open_error(GgufBytes().raw("GGUF").u32(1).u64(0).u64(0)), "byte 4: GGUF version 1 is not supported");
  EXPECT_CONTAINS(open_error(GgufBytes().raw("GGUF").u32(3).u32(0)),
                  "byte 8: file ends while reading tensor count (needs 8 bytes, 4 left)");
  EXPECT_CONTAINS(open_error(GgufBytes().header(std::uint64_t{1} << 62, 0)),
                  "byte 8: tensor count 4611686018427387904 cannot fit");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, ~std::uint64_t{0})),
                  "byte 16: metadata count 18446744073709551615 cannot fit");
}

TEST_F(GgufCorrupt, MetadataProblemsNameTheKey) {
  // A key whose length runs past the end.
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).u64(1000).raw("abcdefgh")),
                  "byte 24: key claims 1000 bytes but only 8 remain in the file (metadata entry 0)");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).str("k").u32(8).u64(~std::uint64_t{0} - 3).raw("xyzxyzxyzxyz")),
                  "string value claims 18446744073709551612 bytes");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).str("k").u32(13).u32(0)),
                  "unknown value type 13 (metadata key 'k')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).str("k").u32(9).u32(4).u64(1'000'000'000'000).zeros(16)),
                  "array of uint32 claims 1000000000000 items but only 16 bytes remain in the file (metadata key 'k')");
  {
    GgufBytes huge = GgufBytes().header(0, 1).str("k").u32(9).u32(0).u64((1U << 24) + 1);
    EXPECT_CONTAINS(open_error(huge.zeros((1U << 24) + 1)), "array of 16777217 items is longer than the 16777216");
  }
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).str("k").u32(9).u32(99).u64(1).zeros(16)),
                  "unknown array element value type 99");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).str("flag").u32(7).put<std::uint8_t>(2).zeros(24)),
                  "bool byte 2 is neither 0 nor 1 (metadata key 'flag')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 2).kv_u32("a", 1).kv_u32("a", 2)), "duplicate metadata key 'a'");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).kv_string("general.alignment", "32")),
                  "general.alignment is string, expected uint32");
  EXPECT_CONTAINS(open_error(GgufBytes().header(0, 1).kv_u32("general.alignment", 48)),
                  "general.alignment 48 is not a power of two");
  GgufBytes deep = GgufBytes().header(0, 1).str("deep").u32(9);
  for (int i = 0; i < 12; ++i) deep.u32(9).u64(1);
  EXPECT_CONTAINS(open_error(deep.zeros(64)), "arrays nested more than 8 deep");
}

TEST_F(GgufCorrupt, TensorTableProblemsNameTheTensor) {
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).str("w").u32(5).zeros(64)),
                  "byte 33: 5 dimensions, more than ggml's 4 (tensor 'w')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).tensor("w", {1ULL << 40, 1ULL << 40}, 0, 0).zeros(64)),
                  "makes the element count overflow int64 (tensor 'w')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(2, 0).tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).pad_to(32).zeros(64)),
                  "duplicate tensor name 'w'");
  // 8 floats at data offset 32 need bytes 32..63 of the data section; it has 40.
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).tensor("w", {8}, 0, 32).pad_to(32).zeros(40)),
                  "F32 data at data offset 32 (file byte 96) of 32 bytes runs past the end of the 104-byte file (tensor 'w')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).tensor("w", {8}, 0, 4).pad_to(32).zeros(64)),
                  "data offset 4 is not a multiple of the alignment 32 (tensor 'w')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).tensor("w", {48}, 8, 0).pad_to(32).zeros(64)),
                  "row length 48 is not a multiple of Q8_0's block size 32 (tensor 'w')");
  EXPECT_CONTAINS(open_error(GgufBytes().header(1, 0).tensor("w", {1ULL << 61, 2}, 28, 0).pad_to(32)),
                  "take more bytes than an int64 counts (tensor 'w')");
}

TEST_F(GgufCorrupt, UnknownTypesFailOnlyWhenTheirDataIsUsed) {
  const auto path = GgufBytes()
                        .header(2, 0)
                        .tensor("mystery", {32}, 77, 0)
                        .tensor("iq", {256}, static_cast<std::uint32_t>(GgmlType::IQ2_XXS), 64)
                        .pad_to(32)
                        .zeros(160)
                        .write(dir_ / "unknown.gguf");
  const GgufFile file(path);  // parses: the types are only a problem when used
  ASSERT_EQ(file.tensors().size(), 2U);
  EXPECT_EQ(gguf_model::type_name(file.tensor("mystery").type), "unknown type 77");
  EXPECT_EQ(error_of([&] { file.data(file.tensor("mystery")); }),
            path.string() + ": tensor 'mystery' has ggml type 77, which this build does not know");
  EXPECT_CONTAINS(error_of([&] { gguf_model::dequantize_tensor(file, file.tensor("mystery")); }),
                  path.string() + ": tensor 'mystery' has ggml type 77 (unknown to this build), which cannot be dequantized");
  EXPECT_EQ(file.data(file.tensor("iq")).size(), 66U);  // a known layout: sized, but not decodable
  EXPECT_CONTAINS(error_of([&] { gguf_model::dequantize_tensor(file, file.tensor("iq")); }),
                  "tensor 'iq' has ggml type IQ2_XXS (16), which cannot be dequantized");
}

TEST_F(GgufCorrupt, EmptyTensorsAreValidAndDequantizeToNothing) {
  const auto path = GgufBytes().header(2, 0).tensor("none", {0, 4}, 0, 0).tensor("q", {32, 0}, 8, 0).write(dir_ / "e.gguf");
  const GgufFile file(path);
  EXPECT_TRUE(gguf_model::dequantize_tensor(file, file.tensor("none")).empty());
  EXPECT_TRUE(gguf_model::dequantize_tensor(file, file.tensor("q")).empty());
}

TEST_F(GgufCorrupt, EveryTruncationOfAValidFileIsAPluginError) {
  const auto fixture = kFixtures / "metadata.gguf";
  std::ifstream in(fixture, std::ios::binary);
  const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // GGUFWriter pads the file after the last tensor; cutting only padding leaves a valid file.
  const GgufFile valid(fixture);
  const auto& last = valid.tensors().back();
  const std::size_t needed = valid.data_offset() + last.offset + valid.data(last).size();
  ASSERT_GT(needed, 1000U);
  // The parser GgufFile runs on its mapping, here on exact-length copies so a
  // sanitizer build sees any read past the end (and no disk is involved).
  for (std::size_t length = 0; length < needed; ++length) {
    SCOPED_TRACE(length);
    const std::string cut = whole.substr(0, length);
    const auto bytes = std::as_bytes(std::span(cut.data(), cut.size()));
    EXPECT_EQ(error_of([&] { gguf_model::detail::parse_gguf(bytes, "cut.gguf"); }).rfind("cut.gguf: byte ", 0), 0U);
  }
}

TEST_F(GgufCorrupt, MissingFileIsAPluginError) {
  EXPECT_CONTAINS(error_of([&] { GgufFile file(dir_ / "absent.gguf"); }), "absent.gguf: cannot open");
}

}  // namespace
