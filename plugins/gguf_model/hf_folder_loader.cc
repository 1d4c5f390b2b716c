#include "hf_folder_loader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dictlab/errors.h"
#include "dictlab/safetensors.h"
#include "hf_bpe_tokenizer_json.h"
#include "hf_llama_tensor_names.h"

namespace gguf_model {
namespace {

using nlohmann::json;

json read_config_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw dictlab::PluginError("cannot read " + path.string() + " (a Hugging Face folder has config.json)");
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) throw dictlab::PluginError(path.string() + ": not a JSON object");
  return parsed;
}

// config.json's values, with the file named in every complaint.
struct ConfigReader {
  const json& config;
  std::string source;

  const json* find(const char* key) const {
    const auto it = config.find(key);
    return it == config.end() || it->is_null() ? nullptr : &*it;
  }
  std::int64_t integer(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) throw dictlab::PluginError(source + ": has no key '" + key + "'");
    if (!value->is_number_integer())
      throw dictlab::PluginError(source + ": key '" + key + "' is " + value->dump() + ", expected an integer");
    return value->get<std::int64_t>();
  }
  std::int64_t integer(const char* key, std::int64_t fallback) const { return find(key) ? integer(key) : fallback; }
  double number(const char* key, double fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number())
      throw dictlab::PluginError(source + ": key '" + key + "' is " + value->dump() + ", expected a number");
    return value->get<double>();
  }
};

// RoPE as transformers 5 writes it (rope_parameters: rope_theta,
// rope_type, factor) or as earlier versions did (rope_theta, rope_scaling).
struct RopeSettings {
  double base = 10000.0;
  double linear_factor = 1.0;
};

RopeSettings rope_settings(const ConfigReader& reader) {
  RopeSettings rope;
  rope.base = reader.number("rope_theta", rope.base);
  const char* key = reader.find("rope_parameters") ? "rope_parameters" : "rope_scaling";
  const json* scaling = reader.find(key);
  if (scaling == nullptr) return rope;
  if (!scaling->is_object()) throw dictlab::PluginError(reader.source + ": key '" + key + "' is not an object");
  if (const auto theta = scaling->find("rope_theta"); theta != scaling->end() && theta->is_number())
    rope.base = theta->get<double>();
  const std::string type = scaling->value("rope_type", scaling->value("type", std::string("default")));
  if (type == "default") return rope;
  const auto factor = scaling->find("factor");
  if (type != "linear" || factor == scaling->end() || !factor->is_number())
    throw dictlab::PluginError(reader.source + ": " + key + " " + scaling->dump() +
                               " is not supported (only the default RoPE or linear scaling with a factor)");
  rope.linear_factor = factor->get<double>();
  return rope;
}

torch::Tensor as_float(const dictlab::SafetensorsTensor& tensor, const std::string& where) {
  torch::Dtype dtype = torch::kFloat;
  if (tensor.dtype == "F16") dtype = torch::kHalf;
  else if (tensor.dtype == "BF16") dtype = torch::kBFloat16;
  else if (tensor.dtype != "F32") throw dictlab::PluginError(where + " is " + tensor.dtype + ", expected F32, F16 or BF16");
  return torch::from_blob(const_cast<char*>(tensor.bytes.data()), tensor.shape, dtype).to(torch::kFloat, false, true);
}

std::vector<std::filesystem::path> safetensors_files(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error))
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
  if (error) throw dictlab::PluginError("cannot list " + folder.string() + ": " + error.message());
  if (files.empty()) throw dictlab::PluginError(folder.string() + ": has no *.safetensors file");
  std::sort(files.begin(), files.end());
  return files;
}

struct FoundTensor {
  torch::Tensor tensor;
  std::filesystem::path file;
};

}  // namespace

namespace {

// Settings LlamaModel does not implement are refused rather than ignored:
// the model would run, wrongly.
void require_plain_llama(const ConfigReader& reader) {
  if (const json* act = reader.find("hidden_act"); act != nullptr && *act != "silu")
    throw dictlab::PluginError(reader.source + ": key 'hidden_act' is " + act->dump() + ", expected \"silu\"");
  for (const char* key : {"attention_bias", "mlp_bias"})
    if (const json* bias = reader.find(key); bias != nullptr && *bias != false)
      throw dictlab::PluginError(reader.source + ": key '" + key + "' is " + bias->dump() +
                                 "; this loader reads llama models without biases");
}

LlamaConfig config_from_json(const json& config, const std::string& source) {
  const ConfigReader reader{config, source};
  const std::string model_type = config.value("model_type", "");
  if (model_type != "llama")
    throw dictlab::PluginError(source + ": model_type is '" + model_type +
                               "'; this loader reads llama-family models (model_type 'llama')");
  require_plain_llama(reader);
  LlamaConfig c;
  c.n_layers = reader.integer("num_hidden_layers");
  c.d_model = reader.integer("hidden_size");
  c.d_mlp = reader.integer("intermediate_size");
  c.n_heads = reader.integer("num_attention_heads");
  c.n_kv_heads = reader.integer("num_key_value_heads", c.n_heads);
  c.d_head = reader.integer("head_dim", c.n_heads > 0 ? c.d_model / c.n_heads : 0);
  c.d_vocab = reader.integer("vocab_size");
  c.context_length = reader.integer("max_position_embeddings", 0);
  c.rms_norm_eps = reader.number("rms_norm_eps", 1e-6);  // transformers' LlamaConfig default
  const RopeSettings rope = rope_settings(reader);
  c.rope_base = rope.base;
  c.rope_dims = c.d_head;
  c.rope_linear_factor = rope.linear_factor;
  c.rope_layout = RopeLayout::halves;
  c.validate(source);
  return c;
}

}  // namespace

LlamaConfig read_hf_llama_config(const std::filesystem::path& folder) {
  const auto path = folder / "config.json";
  return config_from_json(read_config_json(path), path.string());
}

std::map<std::string, torch::Tensor> read_hf_llama_tensors(const std::filesystem::path& folder,
                                                           const LlamaConfig& config, bool tied_embeddings) {
  const auto names = hf_llama_tensor_names(config, tied_embeddings);
  std::map<std::string, const HfTensorName*> wanted;
  for (const auto& name : names) wanted[name.hf] = &name;
  std::map<std::string, FoundTensor> found;
  for (const auto& path : safetensors_files(folder)) {
    const dictlab::SafetensorsFile file(path);  // one shard in memory at a time
    for (const auto& [name, tensor] : file.tensors()) {
      const auto it = wanted.find(name);
      if (it == wanted.end()) continue;  // rotary_emb.inv_freq and the like
      const std::string where = path.string() + ": tensor '" + name + "'";
      if (const auto earlier = found.find(name); earlier != found.end())
        throw dictlab::PluginError(where + " is also in " + earlier->second.file.string());
      if (tensor.shape != it->second->shape)
        throw dictlab::PluginError(where + " has shape " + dictlab::safetensors_detail::show_shape(tensor.shape) +
                                   ", expected " + dictlab::safetensors_detail::show_shape(it->second->shape) +
                                   " from config.json");
      found[name] = {as_float(tensor, where), path};
    }
  }
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& name : names) {
    const auto it = found.find(name.hf);
    if (it == found.end())
      throw dictlab::PluginError(folder.string() + ": no *.safetensors file has tensor '" + name.hf + "'" +
                                 (name.hf == "lm_head.weight" ? " (config.json says tie_word_embeddings is false)" : ""));
    tensors[name.gguf] = it->second.tensor;
  }
  return tensors;
}

namespace {

// The config and weights, without the tokenizer a model alone does not need.
std::pair<LlamaConfig, LlamaWeights> read_model(const std::filesystem::path& folder, torch::Dtype dtype) {
  const auto config_path = folder / "config.json";
  const json config_json = read_config_json(config_path);
  LlamaConfig config = config_from_json(config_json, config_path.string());
  // Absent means untied, as transformers' LlamaConfig defaults.
  const auto tied = config_json.find("tie_word_embeddings");
  if (tied != config_json.end() && !tied->is_boolean())
    throw dictlab::PluginError(config_path.string() + ": key 'tie_word_embeddings' is " + tied->dump() +
                               ", expected true or false");
  const auto tensors = read_hf_llama_tensors(folder, config, tied != config_json.end() && tied->get<bool>());
  LlamaWeights weights = build_llama_weights(config, tensors, folder.string(), dtype);
  return {std::move(config), std::move(weights)};
}

}  // namespace

HfLlamaFolder read_hf_llama_folder(const std::filesystem::path& folder, torch::Dtype dtype) {
  auto [config, weights] = read_model(folder, dtype);
  return {std::move(config), std::move(weights), tokenizer_spec_from_hf_folder(folder)};
}

LlamaModel load_hf_llama_model(const std::filesystem::path& folder, torch::Dtype dtype) {
  auto [config, weights] = read_model(folder, dtype);
  return LlamaModel(std::move(config), std::move(weights));
}

}  // namespace gguf_model
