#include "sae.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "dictlab/atomic_file.h"
#include "dictlab/safetensors.h"

namespace sparse_autoencoder {

Sae::Sae(SaeConfig c) : config(std::move(c)) {
  W_enc = torch::zeros({config.d_in, config.d_sae}).set_requires_grad(true);
  b_enc = torch::zeros({config.d_sae}).set_requires_grad(true);
  W_dec = torch::zeros({config.d_sae, config.d_in}).set_requires_grad(true);
  b_dec = torch::zeros({config.d_in}).set_requires_grad(true);
}

torch::Tensor Sae::pre_activations(const torch::Tensor& scaled_x) const {
  return torch::addmm(b_enc, scaled_x - b_dec, W_enc);
}

torch::Tensor Sae::activate(const torch::Tensor& pre) const {
  if (config.architecture != "topk") return torch::relu(pre);
  auto [values, indices] = pre.topk(config.k, /*dim=*/1);
  return torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
}

torch::Tensor Sae::encode(const torch::Tensor& x) const {
  return activate(pre_activations(x * config.activation_scale));
}

torch::Tensor Sae::decode(const torch::Tensor& features) const {
  return torch::addmm(b_dec, features, W_dec) / config.activation_scale;
}

void Sae::normalize_decoder() {
  torch::NoGradGuard no_grad;
  W_dec.div_(W_dec.norm(2, 1, true).clamp_min(1e-8));
}

void Sae::project_decoder_gradient() {
  if (!W_dec.grad().defined()) return;
  torch::NoGradGuard no_grad;
  auto grad = W_dec.mutable_grad();
  grad.sub_((grad * W_dec).sum(1, true) * W_dec);
}

namespace {
// SAELens' older configs carry the block number beside the hook name.
std::int64_t hook_layer(const std::string& hook) {
  return hook.starts_with("blocks.") ? std::atoll(hook.c_str() + 7) : 0;
}
}  // namespace

nlohmann::json Sae::cfg() const {
  return {{"d_in", config.d_in},
          {"d_sae", config.d_sae},
          {"architecture", config.architecture},
          {"activation_fn_str", config.architecture == "topk" ? "topk" : "relu"},
          {"activation_fn_kwargs",
           config.architecture == "topk" ? nlohmann::json{{"k", config.k}} : nlohmann::json::object()},
          {"apply_b_dec_to_input", true},
          {"normalize_activations", config.activation_scale == 1.0 ? "none" : "constant_scale"},
          {"activation_scale", config.activation_scale},
          {"dtype", "float32"},
          {"hook_name", config.hook_name},
          {"hook_layer", hook_layer(config.hook_name)}};
}

void Sae::write_weights(const std::filesystem::path& file, torch::ScalarType dtype, const nlohmann::json& cfg) const {
  dictlab::SafetensorsWriter writer;
  auto add = [&](const char* name, const torch::Tensor& t) {
    const torch::Tensor cpu = t.detach().to(torch::kCPU).to(dtype).contiguous();
    writer.add(name, dtype == torch::kHalf ? "F16" : "F32", cpu.sizes().vec(), cpu.data_ptr());
  };
  add("W_enc", W_enc);
  add("b_enc", b_enc);
  add("W_dec", W_dec);
  add("b_dec", b_dec);
  writer.set_metadata("format", "dictlab.sparse_autoencoder");
  if (!cfg.is_null()) writer.set_metadata("cfg", cfg.dump());
  writer.write(file);
}

void Sae::save(const std::filesystem::path& dir) const {
  write_weights(dir / "sae_weights.safetensors", torch::kFloat, nullptr);
  dictlab::AtomicFile::write_all(dir / "cfg.json", cfg().dump(2) + "\n");
}

void Sae::export_bundle(const std::filesystem::path& file) const {
  // Half precision past 16384 features keeps the page's download in bounds
  // (131072 features would be 512 MiB in fp32).
  nlohmann::json bundle_cfg = cfg();
  if (config.architecture == "topk") bundle_cfg["k"] = config.k;
  write_weights(file, config.d_sae > 16384 ? torch::kHalf : torch::kFloat, bundle_cfg);
}

Sae Sae::load(const std::filesystem::path& dir) {
  std::ifstream in(dir / "cfg.json");
  if (!in) throw dictlab::PluginError("no cfg.json in " + dir.string() + " (is it a finished dictionary stage?)");
  const auto cfg = nlohmann::json::parse(in);
  SaeConfig c;
  c.d_in = cfg.at("d_in");
  c.d_sae = cfg.at("d_sae");
  c.architecture = cfg.value("architecture", "standard");
  if (cfg.contains("activation_fn_kwargs") && cfg["activation_fn_kwargs"].contains("k")) c.k = cfg["activation_fn_kwargs"]["k"];
  c.activation_scale = cfg.value("activation_scale", 1.0);
  c.hook_name = cfg.value("hook_name", c.hook_name);
  Sae sae(c);
  const dictlab::SafetensorsFile file(dir / "sae_weights.safetensors");
  torch::NoGradGuard no_grad;
  auto fill = [&](const char* name, torch::Tensor& t) {
    const auto& stored = file.get_f32(name, t.sizes().vec());
    t.copy_(torch::from_blob(const_cast<char*>(stored.bytes.data()), t.sizes(), torch::kFloat));
  };
  fill("W_enc", sae.W_enc);
  fill("b_enc", sae.b_enc);
  fill("W_dec", sae.W_dec);
  fill("b_dec", sae.b_dec);
  return sae;
}

}  // namespace sparse_autoencoder
