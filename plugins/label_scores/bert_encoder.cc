#include "bert_encoder.h"

#include <ATen/ATen.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "dictlab/errors.h"
#include "dictlab/safetensors.h"

namespace label_scores {
namespace {

std::int64_t positive_size(const nlohmann::json& config, const char* key, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0)
    throw dictlab::PluginError(file + ": \"" + key + "\" is not a positive integer");
  return it->get<std::int64_t>();
}

void expect_string(const nlohmann::json& config, const char* key, const std::string& wanted, const std::string& file) {
  const auto it = config.find(key);
  if (it != config.end() && !(it->is_string() && it->get<std::string>() == wanted))
    throw dictlab::PluginError(file + ": \"" + key + "\" is " + it->dump() + "; only \"" + wanted +
                               "\" is supported");
}

// A float32 tensor of the file, copied out of the file's buffer.
at::Tensor tensor(const dictlab::SafetensorsFile& file, const std::string& name, std::vector<std::int64_t> shape) {
  const auto& t = file.get_f32(name, shape);
  return at::from_blob(const_cast<char*>(t.bytes.data()), shape, at::kFloat).clone();
}

}  // namespace

BertConfig BertConfig::read(const std::filesystem::path& config_json) {
  const std::string file = config_json.string();
  std::ifstream in(config_json);
  if (!in) throw dictlab::PluginError("cannot read " + file);
  const auto config = nlohmann::json::parse(in, nullptr, false);
  if (!config.is_object()) throw dictlab::PluginError(file + " is not a JSON object");
  expect_string(config, "model_type", "bert", file);
  expect_string(config, "hidden_act", "gelu", file);
  expect_string(config, "position_embedding_type", "absolute", file);
  BertConfig out;
  out.vocab_size = positive_size(config, "vocab_size", file);
  out.hidden = positive_size(config, "hidden_size", file);
  out.layers = positive_size(config, "num_hidden_layers", file);
  out.heads = positive_size(config, "num_attention_heads", file);
  out.intermediate = positive_size(config, "intermediate_size", file);
  out.max_positions = positive_size(config, "max_position_embeddings", file);
  out.type_vocab_size = positive_size(config, "type_vocab_size", file);
  if (out.hidden % out.heads != 0)
    throw dictlab::PluginError(file + ": hidden_size " + std::to_string(out.hidden) + " is not a multiple of " +
                               "num_attention_heads " + std::to_string(out.heads));
  if (const auto it = config.find("layer_norm_eps"); it != config.end()) {
    if (!it->is_number() || !(it->get<double>() > 0))
      throw dictlab::PluginError(file + ": \"layer_norm_eps\" is not a positive number");
    out.layer_norm_eps = it->get<double>();
  }
  return out;
}

BertEncoder::BertEncoder(const std::filesystem::path& safetensors, const BertConfig& config) : config_(config) {
  const dictlab::SafetensorsFile file(safetensors);
  const std::int64_t h = config.hidden, m = config.intermediate;
  auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in) {
    return Linear{tensor(file, name + ".weight", {out, in}), tensor(file, name + ".bias", {out})};
  };
  auto norm = [&](const std::string& name) {
    return Linear{tensor(file, name + ".weight", {h}), tensor(file, name + ".bias", {h})};
  };
  word_embeddings_ = tensor(file, "embeddings.word_embeddings.weight", {config.vocab_size, h});
  position_embeddings_ = tensor(file, "embeddings.position_embeddings.weight", {config.max_positions, h});
  token_type_embeddings_ = tensor(file, "embeddings.token_type_embeddings.weight", {config.type_vocab_size, h});
  embedding_norm_ = norm("embeddings.LayerNorm");
  for (std::int64_t i = 0; i < config.layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    blocks_.push_back({.query = linear(p + "attention.self.query", h, h),
                       .key = linear(p + "attention.self.key", h, h),
                       .value = linear(p + "attention.self.value", h, h),
                       .attention_out = linear(p + "attention.output.dense", h, h),
                       .intermediate = linear(p + "intermediate.dense", m, h),
                       .out = linear(p + "output.dense", h, m),
                       .attention_norm = norm(p + "attention.output.LayerNorm"),
                       .out_norm = norm(p + "output.LayerNorm")});
  }
}

at::Tensor BertEncoder::attention(const Block& block, const at::Tensor& x, const at::Tensor& bias) const {
  const std::int64_t batch = x.size(0), length = x.size(1), heads = config_.heads, d = config_.hidden / heads;
  auto split = [&](const Linear& l) {  // [batch, heads, length, d]
    return at::linear(x, l.weight, l.bias).view({batch, length, heads, d}).transpose(1, 2);
  };
  const at::Tensor q = split(block.query), k = split(block.key), v = split(block.value);
  const at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(d)) + bias;
  const at::Tensor context = at::matmul(at::softmax(scores, -1), v).transpose(1, 2).reshape({batch, length, -1});
  return at::linear(context, block.attention_out.weight, block.attention_out.bias);
}

at::Tensor BertEncoder::forward(const at::Tensor& ids, const at::Tensor& mask) const {
  const std::int64_t length = ids.size(1);
  if (length > config_.max_positions)
    throw dictlab::PluginError("BERT input of " + std::to_string(length) + " tokens is longer than its " +
                               std::to_string(config_.max_positions) + " positions");
  const auto eps = config_.layer_norm_eps;
  at::Tensor x = at::embedding(word_embeddings_, ids) + position_embeddings_.slice(0, 0, length).unsqueeze(0) +
                 token_type_embeddings_[0];  // one segment: type 0 everywhere
  x = at::layer_norm(x, {config_.hidden}, embedding_norm_.weight, embedding_norm_.bias, eps);
  // Padding gets the lowest float as an additive bias, as transformers does.
  const at::Tensor bias =
      ((1.0 - mask.to(at::kFloat)) * std::numeric_limits<float>::lowest()).view({ids.size(0), 1, 1, length});
  for (const auto& block : blocks_) {
    x = at::layer_norm(x + attention(block, x, bias), {config_.hidden}, block.attention_norm.weight,
                       block.attention_norm.bias, eps);
    const at::Tensor inner = at::gelu(at::linear(x, block.intermediate.weight, block.intermediate.bias));
    x = at::layer_norm(x + at::linear(inner, block.out.weight, block.out.bias), {config_.hidden},
                       block.out_norm.weight, block.out_norm.bias, eps);
  }
  return x;
}

}  // namespace label_scores
