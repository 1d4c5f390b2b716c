#include "token_vocabulary.h"

#include "dictlab/errors.h"

namespace gguf_model {
namespace {

std::uint32_t attr_of_type(std::int32_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::kUnknown: return kAttrUnknown;
    case TokenType::kUnused: return kAttrUnused;
    case TokenType::kNormal: return kAttrNormal;
    case TokenType::kControl: return kAttrControl;
    case TokenType::kUserDefined: return kAttrUserDefined;
    case TokenType::kByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

}  // namespace

TokenVocabulary::TokenVocabulary(const TokenizerSpec& spec) {
  const std::size_t n = spec.tokens.size();
  if (n == 0) throw dictlab::PluginError(spec.source + ": tokenizer.ggml.tokens is missing or empty");
  if (!spec.scores.empty() && spec.scores.size() < n)
    throw dictlab::PluginError(spec.source + ": tokenizer.ggml.scores has " + std::to_string(spec.scores.size()) +
                               " entries, expected one per token (" + std::to_string(n) + ")");
  if (!spec.token_types.empty() && spec.token_types.size() < n)
    throw dictlab::PluginError(spec.source + ": tokenizer.ggml.token_type has " +
                               std::to_string(spec.token_types.size()) + " entries, expected one per token (" +
                               std::to_string(n) + ")");
  texts_.reserve(n);
  scores_.assign(n, 0.0f);
  attrs_.assign(n, kAttrNormal);
  ids_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int32_t>(i);
    // llama.cpp names empty tokens so that no text maps to two ids by accident.
    texts_.push_back(spec.tokens[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : spec.tokens[i]);
    ids_.insert_or_assign(texts_.back(), id);
    if (!spec.scores.empty()) scores_[i] = spec.scores[i];
    if (!spec.token_types.empty()) attrs_[i] = attr_of_type(spec.token_types[i]);
  }
}

std::int32_t TokenVocabulary::find(std::string_view text) const {
  const auto it = ids_.find(text);
  return it == ids_.end() ? kNoToken : it->second;
}

}  // namespace gguf_model
