#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictlab/model.h"

namespace feature_analysis {

// Display strings for a window of token ids, one per token (host/site/DATA.md):
// byte-fallback tokens that together make one character show it on the first
// of them and "" on the rest; bytes that make no character show U+FFFD.
class TokenDisplay {
 public:
  explicit TokenDisplay(const dictlab::Model& model);
  explicit TokenDisplay(std::vector<std::string> token_bytes) : bytes_(std::move(token_bytes)) {}
  // Stops at the first negative id (the end of a window clipped by its context).
  std::vector<std::string> window(const std::int32_t* ids, std::int64_t n) const;
  const std::string& raw(std::int32_t id) const { return bytes_[static_cast<std::size_t>(id)]; }

 private:
  std::vector<std::string> bytes_;  // each token's decoded bytes, possibly part of a character
};

}  // namespace feature_analysis
