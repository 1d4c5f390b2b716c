#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictlab/model.h"

namespace dictlab::host {

// Display strings for token ids, one per token, as host/site/DATA.md defines
// them (and the feature analysis writes them): a character split over several
// byte tokens shows on the first of them and "" on the rest; bytes that make
// no character show U+FFFD. Here for the model API of `dictlab serve`; the
// plugins' own copy cannot be linked into the host.
std::vector<std::string> display_tokens(const Model& model, const std::vector<std::int32_t>& ids);

}  // namespace dictlab::host
