// Mutated safetensors files: header sizes near 2^64, shapes that overflow,
// data_offsets outside the file, dtypes that disagree with the byte count.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dictlab/safetensors.h"
#include "fuzz_runner.h"

namespace dictlab::fuzz {
namespace {

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> safetensors_seeds(const std::filesystem::path& dir) {
  const std::vector<float> floats = {1.5f, -2.0f, 0.25f, 8.0f, 3.0f, -1.0f};
  const std::vector<std::uint16_t> halves = {0x3c00, 0xbc00, 0x0000, 0x7bff};
  const std::int64_t scalar = 42;
  SafetensorsWriter two_floats;
  two_floats.add_f32("W_enc", {2, 3}, floats.data());
  two_floats.add_f32("b_enc", {3}, floats.data());
  two_floats.set_metadata("format", "pt");
  SafetensorsWriter mixed;
  mixed.add("activations", "F16", {2, 2}, halves.data());
  mixed.add("step", "I64", {}, &scalar);
  mixed.add("empty", "F32", {0, 4}, floats.data());
  std::vector<std::string> seeds;
  for (const auto* writer : {&two_floats, &mixed}) {
    writer->write(dir / "seed.safetensors");
    seeds.push_back(read_bytes(dir / "seed.safetensors"));
  }
  return seeds;
}

// What a model plugin does with a file: ask for each tensor by its own shape
// and dtype and read the bytes as that dtype.
void read_like_a_plugin(const std::filesystem::path& file) {
  const SafetensorsFile st(file);
  for (const auto& [name, tensor] : st.tensors()) {
    const auto& checked = st.get(name, tensor.shape, {tensor.dtype});
    if (checked.dtype == "F32") {
      const auto values = checked.as_floats();
      volatile float sum = 0;
      for (float v : values) sum = sum + v;
    }
  }
}

TEST(SafetensorsFuzz, MutatedFilesParseOrFailWithAClearError) {
  FuzzDir seeds_dir;
  run_fuzz({.name = "safetensors",
            .seeds = safetensors_seeds(seeds_dir.path()),
            .inputs = 20000,
            .parse = read_like_a_plugin,
            .file_name = "model.safetensors"});
}

}  // namespace
}  // namespace dictlab::fuzz
