// Mutated GGUF files: counts and string lengths near 2^64, unknown value and
// ggml types, dims that overflow, tensor offsets outside the file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fuzz_runner.h"
#include "gguf_file.h"
#include "gguf_quants.h"

namespace dictlab::fuzz {
namespace {

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The gguf_model tests' fixtures, written by gguf-py: every metadata value
// type, and small tensors of every type the dequantizer handles.
std::vector<std::string> gguf_seeds() {
  const std::filesystem::path fixtures = std::filesystem::path(DICTLAB_SOURCE_DIR) / "tests/models/gguf_fixtures";
  return {read_bytes(fixtures / "metadata.gguf"), read_bytes(fixtures / "quant_blocks.gguf")};
}

// What the model plugin does with a file: typed metadata reads, then every
// tensor's data, dequantized when its type allows.
void read_like_a_plugin(const std::filesystem::path& path) {
  const gguf_model::GgufFile file(path);
  for (const auto& entry : file.metadata()) {
    const auto& value = entry.value;
    if (value.type == gguf_model::GgufValueType::STRING) file.get_string(entry.key);
    if (std::holds_alternative<std::int64_t>(value.value)) file.get_int(entry.key);  // signed types
    if (std::holds_alternative<std::uint64_t>(value.value)) file.get_uint(entry.key);
    if (value.is_float()) file.get_float(entry.key);
    if (value.is_array() && value.element_type == gguf_model::GgufValueType::STRING) file.get_strings(entry.key);
  }
  for (const auto& info : file.tensors()) {
    if (!gguf_model::can_dequantize(info.type)) continue;
    const std::vector<float> values = gguf_model::dequantize_tensor(file, info);
    volatile float sum = 0;
    for (float v : values) sum = sum + v;
  }
}

TEST(GgufFuzz, MutatedFilesParseOrFailWithAClearError) {
  run_fuzz({.name = "gguf",
            .seeds = gguf_seeds(),
            .inputs = 20000,
            .parse = read_like_a_plugin,
            .file_name = "model.gguf"});
}

}  // namespace
}  // namespace dictlab::fuzz
