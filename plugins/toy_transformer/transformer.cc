#include "transformer.h"

#include <cmath>

namespace toy_transformer {
namespace F = torch::nn::functional;

Transformer::Transformer(const TransformerConfig& c) : config_(c) {
  if (c.d_model % c.n_heads != 0) throw std::invalid_argument("d_model must be a multiple of n_heads");
  const auto D = c.d_model, M = c.d_mlp, V = c.d_vocab, T = c.n_ctx;
  auto make = [&](const std::string& name, std::vector<std::int64_t> shape) {
    parameters_[name] = torch::zeros(shape).set_requires_grad(true);
  };
  make("embed.W_E", {V, D});
  make("pos_embed.W_pos", {T, D});
  make("blocks.0.ln1.w", {D});
  make("blocks.0.ln1.b", {D});
  make("blocks.0.attn.W_QKV", {D, 3 * D});
  make("blocks.0.attn.b_QKV", {3 * D});
  make("blocks.0.attn.W_O", {D, D});
  make("blocks.0.attn.b_O", {D});
  make("blocks.0.ln2.w", {D});
  make("blocks.0.ln2.b", {D});
  make("blocks.0.mlp.W_in", {D, M});
  make("blocks.0.mlp.b_in", {M});
  make("blocks.0.mlp.W_out", {M, D});
  make("blocks.0.mlp.b_out", {D});
  make("ln_final.w", {D});
  make("ln_final.b", {D});
  make("unembed.W_U", {D, V});
  make("unembed.b_U", {V});
}

void Transformer::initialize(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& [name, tensor] : parameters_) {
    if (name.ends_with(".w")) tensor.fill_(1.0);
    else if (tensor.dim() == 1) tensor.zero_();
    else tensor.normal_(0.0, 0.02);
  }
  // Residual-stream writers start small so the block begins near identity.
  p("blocks.0.attn.W_O").div_(std::sqrt(2.0));
  p("blocks.0.mlp.W_out").div_(std::sqrt(2.0));
}

void Transformer::to(const torch::Device& device) {
  for (auto& [name, tensor] : parameters_)
    tensor = tensor.detach().to(device).set_requires_grad(tensor.requires_grad());
}

torch::Tensor Transformer::forward(const torch::Tensor& tokens, torch_training::HookRun* hooks) const {
  const auto B = tokens.size(0), L = tokens.size(1), D = config_.d_model, H = config_.n_heads, dh = config_.d_head();
  const bool hooked = hooks && !hooks->empty();
  auto hook = [&](const char* name, torch::Tensor& x) {
    if (hooked) hooks->at(name, x);
  };
  torch::Tensor x = p("embed.W_E").index_select(0, tokens.reshape({-1})).view({B, L, D}) +
                    p("pos_embed.W_pos").narrow(0, 0, L);
  hook("blocks.0.hook_resid_pre", x);

  torch::Tensor h = torch::layer_norm(x, {D}, p("blocks.0.ln1.w"), p("blocks.0.ln1.b"), 1e-5);
  torch::Tensor qkv = torch::addmm(p("blocks.0.attn.b_QKV"), h.view({B * L, D}), p("blocks.0.attn.W_QKV"));
  auto parts = qkv.view({B, L, 3, H, dh}).permute({2, 0, 3, 1, 4});  // [3, B, H, L, dh]
  torch::Tensor scores = torch::matmul(parts[0], parts[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
  const torch::Tensor future = torch::ones({L, L}, torch::dtype(torch::kBool).device(tokens.device())).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  torch::Tensor mixed = torch::matmul(torch::softmax(scores, -1), parts[2]);  // [B, H, L, dh]
  mixed = mixed.transpose(1, 2).reshape({B * L, D});
  torch::Tensor attn_out = torch::addmm(p("blocks.0.attn.b_O"), mixed, p("blocks.0.attn.W_O")).view({B, L, D});
  hook("blocks.0.hook_attn_out", attn_out);
  x = x + attn_out;
  hook("blocks.0.hook_resid_mid", x);

  // TransformerLens' hook_normalized is the LayerNorm before its weight and
  // bias: a transcoder trained here reads what it reads in TransformerLens.
  h = torch::layer_norm(x, {D}, {}, {}, 1e-5);
  hook("blocks.0.ln2.hook_normalized", h);
  h = torch::addcmul(p("blocks.0.ln2.b"), h, p("blocks.0.ln2.w"));
  torch::Tensor pre = torch::addmm(p("blocks.0.mlp.b_in"), h.reshape({B * L, D}), p("blocks.0.mlp.W_in"));
  torch::Tensor act = config_.act_fn == "gelu" ? torch::gelu(pre) : torch::relu(pre);
  hook("blocks.0.mlp.hook_post", act);
  torch::Tensor mlp_out = torch::addmm(p("blocks.0.mlp.b_out"), act, p("blocks.0.mlp.W_out")).view({B, L, D});
  hook("blocks.0.hook_mlp_out", mlp_out);
  x = x + mlp_out;
  hook("blocks.0.hook_resid_post", x);

  h = torch::layer_norm(x, {D}, p("ln_final.w"), p("ln_final.b"), 1e-5);
  return torch::addmm(p("unembed.b_U"), h.view({B * L, D}), p("unembed.W_U")).view({B, L, config_.d_vocab});
}

torch::Tensor Transformer::loss(const torch::Tensor& tokens, torch_training::HookRun* hooks) const {
  const auto L = tokens.size(1);
  torch::Tensor logits = forward(tokens.narrow(1, 0, L - 1), hooks);
  return torch::cross_entropy_loss(logits.reshape({-1, config_.d_vocab}), tokens.narrow(1, 1, L - 1).reshape({-1}));
}

std::map<std::string, torch::Tensor> Transformer::transformer_lens_state() const {
  const auto D = config_.d_model, H = config_.n_heads, dh = config_.d_head();
  std::map<std::string, torch::Tensor> state;
  for (const auto& [name, tensor] : parameters_)
    if (name.find("QKV") == std::string::npos && name != "blocks.0.attn.W_O") state[name] = tensor.detach();
  // W_QKV[:, (i*H + h)*dh + k] -> W_i[h, :, k]
  const auto w = p("blocks.0.attn.W_QKV").detach().view({D, 3, H, dh}).permute({1, 2, 0, 3});
  const auto b = p("blocks.0.attn.b_QKV").detach().view({3, H, dh});
  const char* names[] = {"Q", "K", "V"};
  for (int i = 0; i < 3; ++i) {
    state[std::string("blocks.0.attn.W_") + names[i]] = w[i].contiguous();
    state[std::string("blocks.0.attn.b_") + names[i]] = b[i].contiguous();
  }
  state["blocks.0.attn.W_O"] = p("blocks.0.attn.W_O").detach().view({H, dh, D}).contiguous();
  return state;
}

void Transformer::load_transformer_lens_state(const std::map<std::string, torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  const auto D = config_.d_model;
  auto get = [&](const std::string& name) -> const torch::Tensor& {
    auto it = state.find(name);
    if (it == state.end()) throw std::invalid_argument("missing tensor " + name);
    return it->second;
  };
  for (auto& [name, tensor] : parameters_) {
    if (name.find("QKV") != std::string::npos) continue;
    const torch::Tensor& source = get(name);
    tensor.copy_(source.reshape(tensor.sizes()));
  }
  std::vector<torch::Tensor> w, b;
  for (const char* n : {"Q", "K", "V"}) {
    w.push_back(get(std::string("blocks.0.attn.W_") + n));  // [H, D, dh]
    b.push_back(get(std::string("blocks.0.attn.b_") + n));  // [H, dh]
  }
  p("blocks.0.attn.W_QKV").copy_(torch::stack(w).permute({2, 0, 1, 3}).reshape({D, 3 * D}));
  p("blocks.0.attn.b_QKV").copy_(torch::stack(b).reshape({3 * D}));
}

}  // namespace toy_transformer
