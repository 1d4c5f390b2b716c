#pragma once

// A tokenizer's tokens: text, score and llama.cpp's attributes, and the id of
// each text.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf_tokenizer_spec.h"

namespace gguf_model {

// llama.cpp's llama_token_attr bits.
enum TokenAttr : std::uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
};

inline constexpr std::int32_t kNoToken = -1;

class TokenVocabulary {
 public:
  // Tokens, scores and types from `spec`; throws dictlab::PluginError when
  // the scores or types are fewer than the tokens.
  explicit TokenVocabulary(const TokenizerSpec& spec);

  std::size_t size() const { return texts_.size(); }
  bool contains(std::int64_t id) const { return id >= 0 && id < static_cast<std::int64_t>(texts_.size()); }
  const std::string& text(std::int32_t id) const { return texts_[id]; }
  float score(std::int32_t id) const { return scores_[id]; }
  std::uint32_t attr(std::int32_t id) const { return attrs_[id]; }
  void add_attr(std::int32_t id, std::uint32_t bits) { attrs_[id] |= bits; }
  void set_attr(std::int32_t id, std::uint32_t attr) { attrs_[id] = attr; }

  // The id whose text is `text` (the last one, when several share it, as in
  // llama.cpp), or kNoToken.
  std::int32_t find(std::string_view text) const;

  // Every (text, id) of the lookup table, in no particular order.
  template <typename F>
  void for_each_text(F&& f) const {
    for (const auto& [text, id] : ids_) f(text, id);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<std::uint32_t> attrs_;
  std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> ids_;
};

}  // namespace gguf_model
