#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictlab/model.h"

namespace dictlab {

// Display strings for a window of token ids, one per token (host/site/DATA.md):
// byte-fallback tokens that together make one character show it on the first
// of them and "" on the rest; bytes that make no character show U+FFFD.
class TokenDisplay {
 public:
  explicit TokenDisplay(const Model& model) {
    const std::int64_t vocab = model.shape().vocab_size;
    bytes_.reserve(static_cast<std::size_t>(vocab));
    for (std::int32_t id = 0; id < vocab; ++id) bytes_.push_back(model.decode({id}));
  }
  explicit TokenDisplay(std::vector<std::string> token_bytes) : bytes_(std::move(token_bytes)) {}

  // Stops at the first negative id (the end of a window clipped by its context).
  std::vector<std::string> window(const std::int32_t* ids, std::int64_t n) const {
    std::vector<std::string> shown;
    std::string pending;            // bytes of a character not complete yet
    std::size_t pending_owner = 0;  // the token its first byte came from
    const std::string kReplacement = "\xEF\xBF\xBD";
    auto flush_invalid = [&] {
      if (!pending.empty()) shown[pending_owner] += kReplacement;
      pending.clear();
    };
    for (std::int64_t i = 0; i < n && ids[i] >= 0; ++i) {
      shown.emplace_back();
      for (unsigned char byte : raw(ids[i])) {
        if (!pending.empty()) {
          if ((byte & 0xC0) == 0x80) {
            pending += static_cast<char>(byte);
            if (static_cast<int>(pending.size()) == sequence_length(static_cast<unsigned char>(pending[0]))) {
              shown[pending_owner] += pending;
              pending.clear();
            }
            continue;
          }
          flush_invalid();
        }
        const int length = sequence_length(byte);
        if (length == 1) shown.back() += static_cast<char>(byte);
        else if (length == 0) shown.back() += kReplacement;
        else {
          pending = std::string(1, static_cast<char>(byte));
          pending_owner = shown.size() - 1;
        }
      }
    }
    flush_invalid();
    return shown;
  }
  std::vector<std::string> window(const std::vector<std::int32_t>& ids) const {
    return window(ids.data(), static_cast<std::int64_t>(ids.size()));
  }
  const std::string& raw(std::int32_t id) const { return bytes_.at(static_cast<std::size_t>(id)); }

 private:
  // The length of the UTF-8 sequence starting with `lead`, 0 if it cannot start one.
  static int sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
  }

  std::vector<std::string> bytes_;  // each token's decoded bytes, possibly part of a character
};

}  // namespace dictlab
