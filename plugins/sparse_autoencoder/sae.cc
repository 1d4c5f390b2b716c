#include "sae.h"

namespace sparse_autoencoder {

Sae::Sae(SaeConfig c, std::shared_ptr<Architecture> a) : config(std::move(c)), architecture(std::move(a)) {
  W_enc = torch::zeros({config.d_in, config.d_sae}).set_requires_grad(true);
  b_enc = torch::zeros({config.d_sae}).set_requires_grad(true);
  W_dec = torch::zeros({config.d_sae, config.output_width()}).set_requires_grad(true);
  b_dec = torch::zeros({config.output_width()}).set_requires_grad(true);
  architecture->add_tensors(*this);
}

std::vector<torch::Tensor> Sae::parameters() const {
  std::vector<torch::Tensor> all = {W_enc, b_enc, W_dec, b_dec};
  for (const auto& [name, tensor] : extra_parameters) all.push_back(tensor);
  return all;
}

std::map<std::string, torch::Tensor> Sae::named_tensors() const {
  std::map<std::string, torch::Tensor> all = {{"W_enc", W_enc}, {"b_enc", b_enc}, {"W_dec", W_dec}, {"b_dec", b_dec}};
  all.insert(extra_parameters.begin(), extra_parameters.end());
  all.insert(state.begin(), state.end());
  return all;
}

torch::Tensor Architecture::encoder_input(const Sae& sae, const torch::Tensor& scaled_x) const {
  return scaled_x - sae.b_dec;
}

torch::Tensor Sae::pre_activations(const torch::Tensor& scaled_x) const {
  return torch::addmm(b_enc, architecture->encoder_input(*this, scaled_x), W_enc);
}

torch::Tensor Sae::encode(const torch::Tensor& x) const {
  return activate(pre_activations(x * config.activation_scale));
}

torch::Tensor Sae::decode(const torch::Tensor& features) const {
  return torch::addmm(b_dec, features, W_dec) / config.output_scale();
}

torch::Tensor Sae::forward(const torch::Tensor& x) const {
  const torch::Tensor scaled_x = x * config.activation_scale;
  torch::Tensor out = torch::addmm(b_dec, activate(pre_activations(scaled_x)), W_dec);
  if (const torch::Tensor skip = architecture->skip(*this, scaled_x); skip.defined()) out += skip;
  return out / config.output_scale();
}

torch::Tensor Sae::input_of(const torch::Tensor& rows) const {
  return config.transcoder() ? rows.narrow(1, 0, config.d_in) : rows;
}

torch::Tensor Sae::target_of(const torch::Tensor& rows) const {
  return config.transcoder() ? rows.narrow(1, config.d_in, config.d_out) : rows;
}

torch::Tensor Sae::scaled(const torch::Tensor& rows) const {
  if (!config.transcoder()) return rows * config.activation_scale;
  return torch::cat({input_of(rows) * config.activation_scale, target_of(rows) * config.activation_scale_out}, 1);
}

void Sae::to(const torch::Device& device) {
  torch::NoGradGuard no_grad;
  auto move = [&device](torch::Tensor& tensor) {
    if (tensor.device() == device) return;  // the same tensor, so nothing holding it is left behind
    const bool trained = tensor.requires_grad();
    tensor = tensor.to(device).detach().set_requires_grad(trained);
  };
  for (torch::Tensor* tensor : {&W_enc, &b_enc, &W_dec, &b_dec}) move(*tensor);
  for (auto& [name, tensor] : extra_parameters) move(tensor);
  for (auto& [name, tensor] : state) move(tensor);
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
  nlohmann::json cfg = {{"d_in", config.d_in},
                        {"d_sae", config.d_sae},
                        {"apply_b_dec_to_input", true},
                        {"normalize_activations", "none"},
                        {"dtype", "float32"},
                        {"hook_name", config.hook_name},
                        {"hook_layer", hook_layer(config.hook_name)}};
  if (config.transcoder()) {
    // SAELens' TranscoderConfig: b_dec lives at the output, so it is not
    // subtracted from the input.
    cfg["d_out"] = config.d_out;
    cfg["apply_b_dec_to_input"] = false;
    cfg["hook_name_out"] = config.hook_name_out;
    cfg["hook_layer_out"] = hook_layer(config.hook_name_out);
  }
  architecture->describe(cfg);
  return cfg;
}

}  // namespace sparse_autoencoder
