// Safetensors files a user might hand over broken: every one must end in a
// PluginError naming the file and the reason, never a read past a buffer.
#include "dictlab/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "test_support.h"

namespace dictlab {
namespace {

using testing::TempDir;

// 8-byte little-endian header size, the header, then the data.
std::string safetensors_bytes(const std::string& header, const std::string& data, std::uint64_t header_size) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header_size >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return safetensors_bytes(header, data, header.size());
}

std::string error_of(const std::filesystem::path& file, const std::string& bytes,
                     const std::function<void(const SafetensorsFile&)>& use = {}) {
  testing::write_text(file, bytes);
  try {
    const SafetensorsFile st(file);
    if (use) use(st);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Safetensors, HeaderSizeNear2To64IsRefusedNamingTheFile) {
  TempDir dir;
  const auto file = dir / "huge.safetensors";
  const std::string message = error_of(file, safetensors_bytes("{}", "", ~0ull - 3));
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("header size 18446744073709551612"), std::string::npos) << message;
}

TEST(Safetensors, F16TensorOfTheRightShapeIsRefusedWhereF32IsExpected) {
  TempDir dir;
  const auto file = dir / "w.safetensors";
  const std::string header = R"({"W_enc":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}})";
  const std::string message =
      error_of(file, safetensors_bytes(header, std::string(12, '\0')), [](const SafetensorsFile& st) {
        st.get_f32("W_enc", {2, 3});
      });
  EXPECT_NE(message.find(file.string() + ": tensor 'W_enc' is F16, expected F32"), std::string::npos) << message;
}

TEST(Safetensors, DataOffsetsPastTheFileAreRefused) {
  TempDir dir;
  const auto file = dir / "w.safetensors";
  const std::string header = R"({"b":{"dtype":"F32","shape":[4],"data_offsets":[18446744073709551600,16]}})";
  const std::string message = error_of(file, safetensors_bytes(header, std::string(16, '\0')));
  EXPECT_NE(message.find("tensor 'b' lies outside the file"), std::string::npos) << message;
}

TEST(Safetensors, ShapeWhoseByteCountOverflowsIsRefused) {
  TempDir dir;
  const auto file = dir / "w.safetensors";
  // 2^62 * 2^2 * 4 bytes wraps to 0, which matched the empty byte range.
  const std::string header =
      R"({"b":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})";
  const std::string message = error_of(file, safetensors_bytes(header, ""));
  EXPECT_NE(message.find("too large for any file"), std::string::npos) << message;
}

TEST(Safetensors, WrongJsonTypesInTheHeaderArePluginErrors) {
  TempDir dir;
  const auto file = dir / "w.safetensors";
  for (const std::string header : {R"({"b":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})",
                                   R"({"b":{"dtype":"F32","shape":"[1]","data_offsets":[0,4]}})",
                                   R"({"b":[1,2]})", R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[0]}})"}) {
    const std::string message = error_of(file, safetensors_bytes(header, std::string(4, '\0')));
    EXPECT_NE(message.find(file.string() + ": tensor 'b'"), std::string::npos) << header << " -> " << message;
  }
}

TEST(Safetensors, OverlappingTensorsAreRefused) {
  TempDir dir;
  const auto file = dir / "w.safetensors";
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  const std::string message = error_of(file, safetensors_bytes(header, std::string(12, '\0')));
  EXPECT_NE(message.find("tensors 'a' and 'b' overlap"), std::string::npos) << message;
}

TEST(Safetensors, AWrittenFileReadsBackWithTypedGetters) {
  TempDir dir;
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  SafetensorsWriter writer;
  writer.add_f32("W", {2, 3}, values.data());
  writer.write(dir / "ok.safetensors");
  const SafetensorsFile st(dir / "ok.safetensors");
  EXPECT_EQ(st.get_f32("W", {2, 3}).as_floats(), values);
  EXPECT_EQ(st.get("W", {2, 3}, {"F16", "F32"}).dtype, "F32");
}

}  // namespace
}  // namespace dictlab
