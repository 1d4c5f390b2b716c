#include "sentence_embedder.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "bert_encoder.h"
#include "dictlab/errors.h"
#include "wordpiece_tokenizer.h"

namespace label_scores {
namespace {

namespace fs = std::filesystem;

// Texts per forward pass: long enough to keep the matrix products busy,
// short enough that sorting by length leaves little padding.
constexpr std::size_t kBatch = 32;

// sentence_bert_config.json's max_seq_length (the runtime's limit; the
// tokenizer's own is 128 or 512), at most the model's positions.
std::size_t longest_input(const fs::path& folder, std::int64_t positions) {
  std::int64_t length = 256;
  const fs::path file = folder / "sentence_bert_config.json";
  if (std::ifstream in(file); in) {
    const auto config = nlohmann::json::parse(in, nullptr, false);
    const auto it = config.is_object() ? config.find("max_seq_length") : config.end();
    if (!config.is_object() || (it != config.end() && !(it->is_number_integer() && it->get<std::int64_t>() >= 2)))
      throw dictlab::PluginError(file.string() + ": \"max_seq_length\" is not an integer of 2 or more");
    if (it != config.end()) length = it->get<std::int64_t>();
  }
  return static_cast<std::size_t>(std::min(length, positions));
}

}  // namespace

struct SentenceEmbedder::Model {
  WordpieceTokenizer tokenizer;
  BertEncoder encoder;
  std::size_t max_length;
};

fs::path SentenceEmbedder::installed_folder() {
  const char* cache = std::getenv("DICTLAB_LLM_CACHE");
  return fs::path(cache && *cache ? cache : "/var/cache/dictlab/llm") / "all-MiniLM-L6-v2";
}

SentenceEmbedder::SentenceEmbedder(const fs::path& folder) {
  for (const char* name : {"config.json", "model.safetensors", "vocab.txt"})
    if (!fs::is_regular_file(folder / name))
      throw dictlab::PluginError("the sentence-embedding model folder " + folder.string() + " has no " +
                                 std::string(name));
  const auto config = BertConfig::read(folder / "config.json");
  auto tokenizer = WordpieceTokenizer::from_vocab_file(folder / "vocab.txt");
  if (static_cast<std::int64_t>(tokenizer.vocabulary_size()) > config.vocab_size)
    throw dictlab::PluginError((folder / "vocab.txt").string() + " has " + std::to_string(tokenizer.vocabulary_size()) +
                               " pieces, more than config.json's vocab_size " + std::to_string(config.vocab_size));
  model_ = std::make_unique<Model>(Model{std::move(tokenizer), BertEncoder(folder / "model.safetensors", config),
                                         longest_input(folder, config.max_positions)});
}

SentenceEmbedder::~SentenceEmbedder() = default;
SentenceEmbedder::SentenceEmbedder(SentenceEmbedder&&) noexcept = default;

std::vector<std::int32_t> SentenceEmbedder::token_ids(const std::string& text) const {
  return model_->tokenizer.encode(text, model_->max_length);
}

std::vector<std::vector<float>> SentenceEmbedder::embed(const std::vector<std::string>& texts) const {
  c10::InferenceMode no_autograd;
  std::vector<std::vector<std::int32_t>> ids;
  for (const auto& text : texts) ids.push_back(token_ids(text));
  // Similar lengths together, so a batch pads little; the mask makes the
  // result the same whatever the padding.
  std::vector<std::size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return ids[a].size() < ids[b].size(); });

  std::vector<std::vector<float>> out(texts.size());
  for (std::size_t first = 0; first < order.size(); first += kBatch) {
    const std::size_t n = std::min(kBatch, order.size() - first);
    const auto length = static_cast<std::int64_t>(ids[order[first + n - 1]].size());
    at::Tensor batch_ids = at::full({static_cast<std::int64_t>(n), length}, model_->tokenizer.padding_id(), at::kLong);
    at::Tensor mask = at::zeros({static_cast<std::int64_t>(n), length}, at::kLong);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& row = ids[order[first + i]];
      auto id = batch_ids.accessor<std::int64_t, 2>();
      auto m = mask.accessor<std::int64_t, 2>();
      for (std::size_t t = 0; t < row.size(); ++t) id[i][t] = row[t], m[i][t] = 1;
    }
    const at::Tensor hidden = model_->encoder.forward(batch_ids, mask);
    // Mean pooling over the tokens, then unit length (sentence-transformers'
    // Pooling and Normalize modules).
    const at::Tensor weights = mask.to(at::kFloat).unsqueeze(-1);
    const at::Tensor mean = (hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
    const at::Tensor unit = (mean / mean.norm(2, -1, true).clamp_min(1e-12)).contiguous();
    for (std::size_t i = 0; i < n; ++i) {
      const float* row = unit[static_cast<std::int64_t>(i)].data_ptr<float>();
      out[order[first + i]].assign(row, row + unit.size(1));
    }
  }
  return out;
}

}  // namespace label_scores
