// sae_weights.safetensors whose tensors have the right shapes but another
// dtype: refused by name, where from_blob(kFloat) read past F16 bytes.
#include <gtest/gtest.h>

#include "dictlab/safetensors.h"
#include "sae_file.h"
#include "test_support.h"

namespace {

TEST(SaeWeights, F16WeightsOfTheRightShapesAreRefusedNamingTheTensor) {
  dictlab::testing::TempDir dir;
  dictlab::testing::write_text(dir / "cfg.json", R"({"d_in": 4, "d_sae": 8, "architecture": "standard"})");
  const std::vector<std::uint16_t> zeros(32, 0);
  dictlab::SafetensorsWriter writer;
  writer.add("W_enc", "F16", {4, 8}, zeros.data());
  writer.add("b_enc", "F16", {8}, zeros.data());
  writer.add("W_dec", "F16", {8, 4}, zeros.data());
  writer.add("b_dec", "F16", {4}, zeros.data());
  writer.write(dir / "sae_weights.safetensors");
  try {
    sparse_autoencoder::load_sae(dir.path());
    FAIL() << "F16 weights loaded as F32";
  } catch (const dictlab::PluginError& e) {
    // Whichever tensor is read first (W_dec), named with the file.
    EXPECT_NE(std::string(e.what()).find("sae_weights.safetensors: tensor 'W_dec' is F16, expected F32"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
