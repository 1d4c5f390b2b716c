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

double linear_rope_factor(const ConfigReader& reader) {
  const json* scaling = reader.find("rope_scaling");
  if (scaling == nullptr) return 1.0;
  const std::string type = scaling->is_object() ? scaling->value("rope_type", scaling->value("type", "")) : "";
  if (type == "default") return 1.0;
  if (type != "linear" || !scaling->contains("factor") || !(*scaling)["factor"].is_number())
    throw dictlab::PluginError(reader.source + ": rope_scaling " + scaling->dump() +
                               " is not supported (only none or linear with a factor)");
  return (*scaling)["factor"].get<double>();
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

LlamaConfig read_hf_llama_config(const std::filesystem::path& folder) {
  const auto path = folder / "config.json";
  const json config = read_config_json(path);
  const ConfigReader reader{config, path.string()};
  const std::string model_type = config.value("model_type", "");
  if (model_type != "llama")
    throw dictlab::PluginError(reader.source + ": model_type is '" + model_type +
                               "'; this loader reads llama-family models (model_type 'llama')");
  LlamaConfig c;
  c.n_layers = reader.integer("num_hidden_layers");
  c.d_model = reader.integer("hidden_size");
  c.d_mlp = reader.integer("intermediate_size");
  c.n_heads = reader.integer("num_attention_heads");
  c.n_kv_heads = reader.integer("num_key_value_heads", c.n_heads);
  c.d_head = reader.integer("head_dim", c.n_heads > 0 ? c.d_model / c.n_heads : 0);
  c.d_vocab = reader.integer("vocab_size");
  c.context_length = reader.integer("max_position_embeddings", 0);
  c.rms_norm_eps = reader.number("rms_norm_eps", 1e-6);  // LlamaConfig's default
  c.rope_base = reader.number("rope_theta", 10000.0);
  c.rope_dims = c.d_head;
  c.rope_linear_factor = linear_rope_factor(reader);
  c.rope_layout = RopeLayout::halves;
  c.validate(reader.source);
  return c;
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
  LlamaConfig config = read_hf_llama_config(folder);
  const auto config_path = folder / "config.json";
  const json config_json = read_config_json(config_path);
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
