#include "llama_forward.h"

#include <cmath>
#include <limits>

#include "dictlab/errors.h"
#include "gguf_file.h"
#include "llama_rope.h"
#include "parallel_matmul.h"

namespace gguf_model {

// What every block of one forward pass shares.
struct ForwardState {
  std::int64_t batch = 0, length = 0, first_position = 0;
  RopeTable rope;
  torch::Tensor mask;  // [length, first_position + length]: 0 or -inf (causal)
  LlamaCache* cache = nullptr;
  torch_training::HookRun* hooks = nullptr;  // null when it has nothing to do
};

namespace {

enum HookSlot { resid_pre, attn_out, resid_mid, ln2_normalized, mlp_post, mlp_out, resid_post, slots_per_block };

// x / rms(x): the norm's weight is folded into the matrices that read it.
torch::Tensor rms_normalized(const torch::Tensor& x, double eps) {
  const torch::Tensor x32 = x.to(torch::kFloat);
  return x32 * (x32.square().mean(-1, true) + eps).rsqrt();
}

// x @ w in float32, the rows shared among the threads. bfloat16 weights are
// widened first: LibTorch 1.13 has no fast bfloat16 GEMM without AVX-512
// (9 tokens/s against 140 measured), and widening a block's matrices costs
// ~1% of a harvest batch's forward pass; they halve the memory, not the work.
torch::Tensor gemm(const torch::Tensor& x, const torch::Tensor& w) {
  return parallel_matmul(x.to(torch::kFloat).contiguous(), w.to(torch::kFloat));
}

torch::Tensor causal_mask(std::int64_t length, std::int64_t first_position) {
  // Query i sits at first_position + i and sees keys 0 .. first_position + i.
  const torch::Tensor query = torch::arange(first_position, first_position + length).unsqueeze(1);
  const torch::Tensor key = torch::arange(first_position + length).unsqueeze(0);
  return torch::zeros({length, first_position + length}).masked_fill_(key > query, -std::numeric_limits<float>::infinity());
}

// Appends [batch, n_kv, length, d_head] to a cache layer (doubling its
// capacity when full) and returns all its positions.
torch::Tensor append(torch::Tensor& store, const torch::Tensor& fresh, std::int64_t used) {
  const std::int64_t needed = used + fresh.size(2);
  if (!store.defined() || store.size(2) < needed) {
    auto sizes = fresh.sizes().vec();
    sizes[2] = std::max<std::int64_t>(needed, store.defined() ? 2 * store.size(2) : needed);
    torch::Tensor grown = torch::empty(sizes, fresh.options());
    if (used > 0) grown.narrow(2, 0, used).copy_(store.narrow(2, 0, used));
    store = grown;
  }
  store.narrow(2, used, fresh.size(2)).copy_(fresh);
  return store.narrow(2, 0, needed);
}

}  // namespace

LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)) {
  if (static_cast<std::int64_t>(weights_.blocks.size()) != config_.n_layers)
    throw dictlab::PluginError("llama model: " + std::to_string(weights_.blocks.size()) + " blocks of weights for " +
                               std::to_string(config_.n_layers) + " layers");
  for (const auto& point : hook_points()) hook_names_.push_back(point.name);
}

std::vector<dictlab::HookPoint> LlamaModel::hook_points() const {
  return dictlab::transformer_block_hooks(config_.n_layers, config_.d_model, config_.d_mlp);
}

torch::Tensor LlamaModel::forward(const torch::Tensor& tokens, LlamaCache* cache,
                                  torch_training::HookRun* hooks) const {
  c10::InferenceMode inference;
  OpenBlasOnCallingThread one_thread_pool;
  const torch::Tensor x = run_blocks(tokens, config_.n_layers, cache, hooks);
  const torch::Tensor final = (rms_normalized(x, config_.rms_norm_eps) * weights_.output_norm)
                                  .view({-1, config_.d_model});
  return gemm(final, weights_.unembed.t()).view({x.size(0), x.size(1), -1});
}

torch::Tensor LlamaModel::residual_stream(const torch::Tensor& tokens, std::int64_t n_blocks,
                                          torch_training::HookRun* hooks) const {
  if (n_blocks < 0 || n_blocks > config_.n_layers)
    throw dictlab::PluginError("llama model: " + std::to_string(n_blocks) + " blocks asked of a model of " +
                               std::to_string(config_.n_layers));
  c10::InferenceMode inference;
  OpenBlasOnCallingThread one_thread_pool;
  return run_blocks(tokens, n_blocks, nullptr, hooks);
}

torch::Tensor LlamaModel::run_blocks(const torch::Tensor& tokens, std::int64_t n_blocks, LlamaCache* cache,
                                     torch_training::HookRun* hooks) const {
  if (tokens.dim() != 2) throw dictlab::PluginError("llama model: tokens must be [batch, length]");
  ForwardState state;
  state.batch = tokens.size(0), state.length = tokens.size(1);
  if (cache) {
    if (cache->length_ > 0 && cache->batch_ != state.batch)
      throw dictlab::PluginError("llama model: a cache of batch " + std::to_string(cache->batch_) +
                                 " continued with a batch of " + std::to_string(state.batch));
    if (cache->layers_.empty()) cache->layers_.resize(config_.n_layers);
    state.first_position = cache->length_;
  }
  state.rope = rope_table(config_, weights_.rope_freq_factors, state.first_position, state.length);
  state.mask = causal_mask(state.length, state.first_position);
  state.cache = cache;
  state.hooks = hooks && !hooks->empty() ? hooks : nullptr;

  torch::Tensor x = weights_.token_embedding.index_select(0, tokens.reshape(-1).to(torch::kLong))
                        .view({state.batch, state.length, config_.d_model});
  for (std::int64_t layer = 0; layer < n_blocks; ++layer) x = block(layer, std::move(x), state);
  if (cache) cache->length_ += state.length, cache->batch_ = state.batch;
  return x;
}

torch::Tensor LlamaModel::block(std::int64_t layer, torch::Tensor x, const ForwardState& state) const {
  const LlamaBlockWeights& w = weights_.blocks[layer];
  const std::string* names = hook_names_.data() + layer * slots_per_block;
  auto hook = [&](HookSlot slot, torch::Tensor& activations) {
    if (state.hooks) state.hooks->at(names[slot], activations);
  };
  const std::int64_t rows = state.batch * state.length;
  const auto as_stream = [&](const torch::Tensor& t) { return t.view({state.batch, state.length, -1}); };

  hook(resid_pre, x);
  torch::Tensor attention_out = as_stream(attention(layer, rms_normalized(x, config_.rms_norm_eps), state));
  hook(attn_out, attention_out);
  x = x + attention_out;
  hook(resid_mid, x);

  torch::Tensor normalized = rms_normalized(x, config_.rms_norm_eps);
  hook(ln2_normalized, normalized);
  const torch::Tensor gate_up = gemm(normalized.view({rows, -1}), w.gate_up);
  torch::Tensor post = as_stream(torch::silu(gate_up.narrow(1, 0, config_.d_mlp)).mul_(gate_up.narrow(1, config_.d_mlp, config_.d_mlp)));
  hook(mlp_post, post);
  torch::Tensor mlp = as_stream(gemm(post.reshape({rows, -1}), w.down));
  hook(mlp_out, mlp);
  x = x + mlp;
  hook(resid_post, x);
  return x;
}

// Grouped-query attention: query head h reads key/value head h / group.
torch::Tensor LlamaModel::attention(std::int64_t layer, const torch::Tensor& normalized,
                                    const ForwardState& state) const {
  const LlamaBlockWeights& w = weights_.blocks[layer];
  const std::int64_t B = state.batch, L = state.length, H = config_.n_heads, K = config_.n_kv_heads,
                     D = config_.d_head, group = H / K;
  const torch::Tensor qkv = gemm(normalized.view({B * L, -1}), w.qkv).view({B, L, H + 2 * K, D});
  const torch::Tensor q = apply_rope(qkv.narrow(2, 0, H), state.rope, config_)  // [B, L, H, D]
                              .mul_(1.0 / std::sqrt(static_cast<double>(D)))
                              .view({B, L, K, group, D})
                              .permute({0, 2, 3, 1, 4})
                              .reshape({B, K, group * L, D});
  torch::Tensor k = apply_rope(qkv.narrow(2, H, K), state.rope, config_).permute({0, 2, 1, 3}).contiguous();  // [B, K, L, D]
  torch::Tensor v = qkv.narrow(2, H + K, K).permute({0, 2, 1, 3}).contiguous();
  if (state.cache) {
    auto& stored = state.cache->layers_[layer];
    k = append(stored.keys, k, state.first_position);
    v = append(stored.values, v, state.first_position);
  }
  const torch::Tensor& mask = state.mask;
  torch::Tensor mixed = torch::empty({B, L, K, group, D}, q.options());
  // One (sequence, key/value head) per task: each thread's GEMMs are whole.
  parallel_over(B * K, [&](std::int64_t task) {
    const std::int64_t b = task / K, kv = task % K;
    const torch::Tensor scores = torch::mm(q[b][kv], k[b][kv].t()).view({group, L, -1}).add_(mask);
    const torch::Tensor probabilities = torch::softmax(scores, -1).view({group * L, -1});
    mixed.select(0, b).select(1, kv).copy_(torch::mm(probabilities, v[b][kv]).view({group, L, D}).transpose(0, 1));
  });
  return gemm(mixed.view({B * L, H * D}), w.out);
}

LlamaModel load_llama_model(const std::filesystem::path& gguf, torch::Dtype dtype) {
  const GgufFile file(gguf);
  LlamaConfig config = read_llama_config(file);
  LlamaWeights weights = read_llama_weights(file, config, dtype);
  return LlamaModel(std::move(config), std::move(weights));
}

}  // namespace gguf_model
