#include "browser_check.h"

namespace feature_analysis {

bool page_runs(const dictlab::DictionaryShape& shape) {
  if (shape.is_transcoder())
    return shape.hook == "blocks.0.ln2.hook_normalized" && shape.output_hook == "blocks.0.hook_mlp_out";
  return shape.hook == "blocks.0.mlp.hook_post";
}

nlohmann::json browser_check(dictlab::Model& model, dictlab::DictionaryLearner& dictionary,
                             const torch::Tensor& directions, std::int64_t feature, float value) {
  // Scripts, formats and edge cases the corpus has, plus some it may not.
  const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog.",
      "def square(x):\n    return x ** 2\n",
      "<div class=\"note\">5 &lt; 7</div>",
      "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",  // Arabic
      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d",                                  // Hebrew
      "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",                                      // Chinese
      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80",                        // Russian
      "ACGTTGCAACGTAGCTAGCTAGGATCCA",
      "SGVsbG8sIHdvcmxkIQ==",
      "\\begin{equation} E = mc^2 \\end{equation}",
      "emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd and e\xcc\x81 combining",
      "  two  spaces\ttab\nnew line",
      "",
  };
  nlohmann::json check;
  for (const auto& text : texts) check["tokenizer"].push_back({{"text", text}, {"ids", model.encode(text)}});

  std::vector<std::int32_t> ids = model.encode(texts[0]);
  ids.resize(std::min<std::size_t>(ids.size(), 8));
  const std::int64_t length = static_cast<std::int64_t>(ids.size());
  const dictlab::TokenBatch batch{ids.data(), 1, length};
  const std::int64_t vocab = model.shape().vocab_size, d_sae = dictionary.shape().d_sae;
  auto rows = [&](const std::vector<float>& flat, std::int64_t width) {
    nlohmann::json out = nlohmann::json::array();
    for (std::int64_t r = 0; r < length; ++r)
      out.push_back(std::vector<float>(flat.begin() + r * width, flat.begin() + (r + 1) * width));
    return out;
  };
  check["logits"] = {{"ids", ids}, {"values", rows(model.logits(batch), vocab)}};

  const std::string hook = dictionary.shape().hook;
  const std::vector<float> activations = dictlab::activations_at(model, batch, hook);
  std::vector<float> codes(static_cast<std::size_t>(length * d_sae));
  dictionary.encode(activations.data(), length, codes.data());
  nlohmann::json active = nlohmann::json::array();
  for (std::int64_t r = 0; r < length; ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (std::int64_t f = 0; f < d_sae; ++f)
      if (const float a = codes[static_cast<std::size_t>(r * d_sae + f)]; a > 0) row.push_back({f, a});
    active.push_back(row);
  }
  check["features"] = {{"ids", ids}, {"values", active}};

  const torch::Tensor direction = directions[feature].contiguous();
  const auto pinned = model.logits(batch, dictlab::pin_feature(dictionary, direction.data_ptr<float>(), feature, value));
  check["pinned"] = {{"feature", feature}, {"value", value}, {"values", rows(pinned, vocab)}};
  return check;
}

}  // namespace feature_analysis
