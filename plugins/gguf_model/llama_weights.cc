#include "llama_weights.h"

#include <sstream>

#include "dictlab/errors.h"
#include "gguf_file.h"
#include "gguf_quants.h"

namespace gguf_model {

namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream text;
  text << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text << (i ? ", " : "") << shape[i];
  text << "]";
  return text.str();
}

torch::Tensor checked(const torch::Tensor& tensor, const std::string& name, const std::vector<std::int64_t>& shape,
                      const std::string& source) {
  if (tensor.sizes() != at::IntArrayRef(shape))
    throw dictlab::PluginError(source + ": tensor '" + name + "' has shape " + shape_text(tensor.sizes()) +
                               " (torch order), expected " + shape_text(shape));
  return tensor.to(torch::kFloat).contiguous();
}

// A tensor the model cannot run without, with the shape `config` implies.
torch::Tensor required(const TensorLookup& lookup, const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::string& source) {
  const torch::Tensor tensor = lookup(name);
  if (!tensor.defined()) throw dictlab::PluginError(source + ": the model has no tensor '" + name + "'");
  return checked(tensor, name, shape, source);
}

// W [out, in] read from a normalized stream scaled by `norm` [in]: returns
// (W diag(norm))^T, [in, out].
torch::Tensor folded_transposed(const torch::Tensor& weight, const torch::Tensor& norm) {
  return (weight * norm.unsqueeze(0)).t().contiguous();
}

LlamaBlockWeights block_weights(const LlamaConfig& c, const TensorLookup& lookup, std::int64_t layer,
                                const std::string& source, torch::Dtype dtype) {
  const std::string prefix = "blk." + std::to_string(layer) + ".";
  auto get = [&](const char* name, std::vector<std::int64_t> shape) {
    return required(lookup, prefix + name, std::move(shape), source);
  };
  const std::int64_t q_width = c.n_heads * c.d_head, kv_width = c.n_kv_heads * c.d_head;
  const torch::Tensor attn_norm = get("attn_norm.weight", {c.d_model});
  const torch::Tensor ffn_norm = get("ffn_norm.weight", {c.d_model});
  LlamaBlockWeights block;
  block.qkv = folded_transposed(torch::cat({get("attn_q.weight", {q_width, c.d_model}),
                                            get("attn_k.weight", {kv_width, c.d_model}),
                                            get("attn_v.weight", {kv_width, c.d_model})}),
                                attn_norm)
                  .to(dtype);
  block.out = get("attn_output.weight", {c.d_model, q_width}).t().contiguous().to(dtype);
  block.gate_up = folded_transposed(
                      torch::cat({get("ffn_gate.weight", {c.d_mlp, c.d_model}), get("ffn_up.weight", {c.d_mlp, c.d_model})}),
                      ffn_norm)
                      .to(dtype);
  block.down = get("ffn_down.weight", {c.d_model, c.d_mlp}).t().contiguous().to(dtype);
  return block;
}

}  // namespace

LlamaWeights build_llama_weights(const LlamaConfig& config, const TensorLookup& lookup, const std::string& source,
                                 torch::Dtype dtype) {
  if (dtype != torch::kFloat && dtype != torch::kBFloat16)
    throw dictlab::PluginError(source + ": weights can be float32 or bfloat16, not " +
                               std::string(c10::toString(dtype)));
  config.validate(source);
  torch::NoGradGuard no_grad;
  LlamaWeights weights;
  weights.token_embedding = required(lookup, "token_embd.weight", {config.d_vocab, config.d_model}, source);
  for (std::int64_t layer = 0; layer < config.n_layers; ++layer)
    weights.blocks.push_back(block_weights(config, lookup, layer, source, dtype));
  weights.output_norm = required(lookup, "output_norm.weight", {config.d_model}, source);
  if (const torch::Tensor output = lookup("output.weight"); output.defined())
    weights.unembed = checked(output, "output.weight", {config.d_vocab, config.d_model}, source).to(dtype);
  else
    weights.unembed = weights.token_embedding.to(dtype);  // no copy for float32
  if (const torch::Tensor factors = lookup("rope_freqs.weight"); factors.defined())
    weights.rope_freq_factors = checked(factors, "rope_freqs.weight", {config.rope_dims / 2}, source);
  return weights;
}

LlamaWeights build_llama_weights(const LlamaConfig& config, const std::map<std::string, torch::Tensor>& tensors,
                                 const std::string& source, torch::Dtype dtype) {
  return build_llama_weights(
      config,
      [&](const std::string& name) {
        const auto found = tensors.find(name);
        return found == tensors.end() ? torch::Tensor() : found->second;
      },
      source, dtype);
}

LlamaWeights read_llama_weights(const GgufFile& file, const LlamaConfig& config, torch::Dtype dtype) {
  return build_llama_weights(
      config,
      [&](const std::string& name) {
        const GgufTensorInfo* info = file.find_tensor(name);
        if (!info) return torch::Tensor();
        // GGUF dims run fastest first; torch's sizes slowest first.
        const std::vector<std::int64_t> shape(info->dims.rbegin(), info->dims.rend());
        torch::Tensor tensor = torch::empty(shape, torch::kFloat);
        dequantize(info->type, file.data(*info).data(), info->n_elements, tensor.data_ptr<float>());
        return tensor;
      },
      file.path().string(), dtype);
}

}  // namespace gguf_model
