#include "hf_folder_writer.h"

#include <torch/torch.h>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/safetensors.h"
#include "gguf_quants.h"
#include "gguf_tokenizer_from_file.h"
#include "hf_bpe_tokenizer_json.h"
#include "hf_llama_tensor_names.h"

namespace gguf_model {
namespace {

// llama.cpp's converter reordered each head's rows from (half, i) to (i,
// half) so that GGUF rotates adjacent pairs; this undoes it.
torch::Tensor rows_to_halves(const torch::Tensor& weight, std::int64_t heads) {
  const std::int64_t rows = weight.size(0), width = weight.size(1);
  return weight.view({heads, rows / heads / 2, 2, width}).transpose(1, 2).reshape({rows, width}).contiguous();
}

torch::Tensor dequantized(const GgufFile& file, const std::string& name) {
  const GgufTensorInfo& info = file.tensor(name);
  std::vector<std::int64_t> shape(info.dims.rbegin(), info.dims.rend());
  torch::Tensor tensor = torch::empty(shape, torch::kFloat);
  dequantize_tensor_into(file, info, {tensor.data_ptr<float>(), static_cast<std::size_t>(tensor.numel())});
  return tensor;
}

void require_expressible(const GgufFile& file, const LlamaConfig& config) {
  const std::string source = file.path().string();
  if (config.rope_dims != config.d_head)
    throw dictlab::PluginError(source + ": RoPE rotates " + std::to_string(config.rope_dims) + " of " +
                               std::to_string(config.d_head) +
                               " head dimensions; LlamaForCausalLM's config.json cannot say so");
  if (file.find_tensor("rope_freqs.weight") != nullptr)
    throw dictlab::PluginError(source + ": rope_freqs.weight (Llama 3 RoPE scaling) is not written to config.json "
                               "by this writer");
}

void write_weights(const GgufFile& file, const LlamaConfig& config, const std::filesystem::path& path) {
  const bool tied = file.find_tensor("output.weight") == nullptr;
  dictlab::SafetensorsWriter writer;
  writer.set_metadata("format", "pt");  // transformers refuses other formats when loading with torch
  for (const auto& name : hf_llama_tensor_names(config, tied)) {
    torch::Tensor tensor = dequantized(file, name.gguf);
    if (name.hf.ends_with("q_proj.weight")) tensor = rows_to_halves(tensor, config.n_heads);
    if (name.hf.ends_with("k_proj.weight")) tensor = rows_to_halves(tensor, config.n_kv_heads);
    if (tensor.sizes().vec() != name.shape)
      throw dictlab::PluginError(file.path().string() + ": tensor '" + name.gguf + "' does not have the shape " +
                                 "the metadata implies for " + name.hf);
    writer.add_f32(name.hf, name.shape, tensor.data_ptr<float>());
  }
  writer.write(path);
}

}  // namespace

nlohmann::json hf_llama_config_json(const GgufFile& file, const LlamaConfig& config, const TokenizerSpec& tokenizer) {
  require_expressible(file, config);
  auto id = [](const std::optional<std::int64_t>& value) -> nlohmann::json {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  // Both spellings: transformers 5 reads rope_parameters, earlier versions
  // (and TransformerLens pinned to them) rope_theta and rope_scaling.
  nlohmann::json rope_scaling = nullptr;
  nlohmann::json rope_parameters = {{"rope_theta", config.rope_base}, {"rope_type", "default"}};
  if (config.rope_linear_factor != 1.0) {
    rope_scaling = {{"rope_type", "linear"}, {"type", "linear"}, {"factor", config.rope_linear_factor}};
    rope_parameters["rope_type"] = "linear", rope_parameters["factor"] = config.rope_linear_factor;
  }
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", config.d_model},
          {"intermediate_size", config.d_mlp},
          {"num_hidden_layers", config.n_layers},
          {"num_attention_heads", config.n_heads},
          {"num_key_value_heads", config.n_kv_heads},
          {"head_dim", config.d_head},
          {"hidden_act", "silu"},
          {"rms_norm_eps", config.rms_norm_eps},
          {"rope_theta", config.rope_base},
          {"rope_scaling", rope_scaling},
          {"rope_parameters", rope_parameters},
          {"max_position_embeddings", config.context_length},
          {"vocab_size", config.d_vocab},
          {"tie_word_embeddings", file.find_tensor("output.weight") == nullptr},
          {"attention_bias", false},
          {"mlp_bias", false},
          {"bos_token_id", id(tokenizer.bos_id)},
          {"eos_token_id", id(tokenizer.eos_id)},
          {"pad_token_id", id(tokenizer.pad_id)},
          {"torch_dtype", "float32"},
          {"use_cache", true}};
}

void write_hf_llama_folder(const std::filesystem::path& gguf, const std::filesystem::path& folder) {
  const GgufFile file(gguf);
  const LlamaConfig config = read_llama_config(file);
  const TokenizerSpec tokenizer = tokenizer_spec_from_gguf(file);
  const nlohmann::json config_json = hf_llama_config_json(file, config, tokenizer);
  (void)hf_tokenizer_json(tokenizer);  // refuses a tokenizer it cannot write before the weights take their time
  std::filesystem::create_directories(folder);
  write_weights(file, config, folder / "model.safetensors");
  dictlab::AtomicFile::write_all(folder / "config.json", config_json.dump(2) + "\n");
  write_hf_tokenizer(folder, tokenizer,
                     config.context_length > 0 ? std::optional(config.context_length) : std::nullopt,
                     file.try_string("tokenizer.chat_template"));
}

}  // namespace gguf_model
