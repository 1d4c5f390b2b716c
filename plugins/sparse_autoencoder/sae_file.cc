#include "sae_file.h"

#include <fstream>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/safetensors.h"

namespace sparse_autoencoder {
namespace {

// The tensors as SAELens computes with them: x·s − b_dec = s·(x − b_dec/s)
// and (f W_dec + b_dec)/s = f (W_dec/s) + b_dec/s. A transcoder's output has
// its own scale: (f W_dec + b_dec + s_in·x W_skipᵀ)/s_out, so W_skip is
// saved times s_in/s_out (Architecture::folded_factor).
std::map<std::string, torch::Tensor> folded(const Sae& sae) {
  const double s = sae.config.activation_scale, s_out = sae.config.output_scale();
  auto tensors = sae.named_tensors();
  tensors["W_enc"] = sae.W_enc * s;
  tensors["W_dec"] = sae.W_dec / s_out;
  tensors["b_dec"] = sae.b_dec / s_out;
  for (const auto& [name, tensor] : sae.extra_parameters)
    if (const double factor = sae.architecture->folded_factor(name, s, s_out); factor != 1.0)
      tensors[name] = tensor * factor;
  return tensors;
}

void add_scales(const Sae& sae, nlohmann::json& cfg) {
  cfg["activation_scale"] = sae.config.activation_scale;
  if (sae.config.transcoder()) cfg["activation_scale_out"] = sae.config.activation_scale_out;
}

void write_weights(const std::map<std::string, torch::Tensor>& tensors, const std::filesystem::path& file,
                   torch::ScalarType dtype, const nlohmann::json& cfg) {
  dictlab::SafetensorsWriter writer;
  for (const auto& [name, tensor] : tensors) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU).to(dtype).contiguous();
    writer.add(name, dtype == torch::kHalf ? "F16" : "F32", cpu.sizes().vec(), cpu.data_ptr());
  }
  writer.set_metadata("format", "dictlab.sparse_autoencoder");
  if (!cfg.is_null()) writer.set_metadata("cfg", cfg.dump());
  writer.write(file);
}

nlohmann::json read_cfg(const std::filesystem::path& dir) {
  std::ifstream in(dir / "cfg.json");
  if (!in) throw dictlab::PluginError("no cfg.json in " + dir.string() + " (is it a finished dictionary stage?)");
  const auto cfg = nlohmann::json::parse(in, nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object()) throw dictlab::PluginError((dir / "cfg.json").string() + ": not valid JSON");
  return cfg;
}

}  // namespace

void save_sae(const Sae& sae, const std::filesystem::path& dir) {
  torch::NoGradGuard no_grad;
  write_weights(folded(sae), dir / "sae_weights.safetensors", torch::kFloat, nullptr);
  nlohmann::json cfg = sae.cfg();
  add_scales(sae, cfg);
  cfg["activation_scale_folded"] = true;
  dictlab::AtomicFile::write_all(dir / "cfg.json", cfg.dump(2) + "\n");
}

void export_sae_bundle(const Sae& sae, const std::filesystem::path& file) {
  // Half precision past 16384 features keeps the page's download in bounds
  // (131072 features would be 512 MiB in fp32).
  nlohmann::json cfg = sae.cfg();
  add_scales(sae, cfg);
  write_weights(sae.named_tensors(), file, sae.config.d_sae > 16384 ? torch::kHalf : torch::kFloat, cfg);
}

Sae load_sae(const std::filesystem::path& dir) {
  const nlohmann::json cfg = read_cfg(dir);
  SaeConfig c;
  c.d_in = cfg.at("d_in");
  c.d_sae = cfg.at("d_sae");
  c.activation_scale = cfg.value("activation_scale", 1.0);
  c.hook_name = cfg.value("hook_name", c.hook_name);
  c.d_out = cfg.value("d_out", std::int64_t{0});
  c.hook_name_out = cfg.value("hook_name_out", std::string());
  c.activation_scale_out = cfg.value("activation_scale_out", 1.0);
  Sae sae(c, architecture_from_cfg(cfg));
  const dictlab::SafetensorsFile file(dir / "sae_weights.safetensors");
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : sae.named_tensors()) {
    const auto& stored = file.get_f32(name, tensor.sizes().vec());
    tensor.copy_(torch::from_blob(const_cast<char*>(stored.bytes.data()), tensor.sizes(), torch::kFloat));
  }
  // Files written before the scale was folded in hold the weights as used.
  if (cfg.value("activation_scale_folded", false)) {
    const double s = c.activation_scale, s_out = sae.config.output_scale();
    sae.W_enc.div_(s);
    sae.W_dec.mul_(s_out);
    sae.b_dec.mul_(s_out);
    for (auto& [name, tensor] : sae.extra_parameters) tensor.div_(sae.architecture->folded_factor(name, s, s_out));
  }
  return sae;
}

}  // namespace sparse_autoencoder
