#pragma once

#include <string>
#include <string_view>

namespace gguf_model {

// `bytes` with each maximal ill-formed subsequence replaced by one U+FFFD
// (Unicode's "substitution of maximal subparts", which the WHATWG decoder and
// so V8/node-llama-cpp follow): "\xE4\xB8" becomes one U+FFFD, not two.
std::string replace_ill_formed_utf8(std::string_view bytes);

}  // namespace gguf_model
