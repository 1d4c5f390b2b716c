#include "token_display.h"

namespace dictlab::host {
namespace {

// The length of the UTF-8 sequence starting with `lead`, 0 if it cannot start one.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::vector<std::string> display_tokens(const Model& model, const std::vector<std::int32_t>& ids) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  std::vector<std::string> shown;
  std::string pending;            // bytes of a character not complete yet
  std::size_t pending_owner = 0;  // the token its first byte came from
  auto flush_invalid = [&] {
    if (!pending.empty()) shown[pending_owner] += kReplacement;
    pending.clear();
  };
  for (const std::int32_t id : ids) {
    shown.emplace_back();
    for (const unsigned char byte : model.decode({id})) {
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

}  // namespace dictlab::host
