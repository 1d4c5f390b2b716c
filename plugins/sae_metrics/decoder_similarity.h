#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictlab/dictionary.h"

namespace sae_metrics {

// The two distinct features whose decoder directions are closest to parallel
// or antiparallel: near-duplicates a dictionary wastes capacity on.
struct DecoderPair {
  double abs_cosine = 0;  // |cos| of their directions; 0 for a zero direction
  std::int64_t first = -1;  // first < second; both -1 with fewer than two features
  std::int64_t second = -1;
};

// Over `rows` [count, width], row-major; the search runs on `device` ("cpu",
// "cuda", ...): O(count² · width), minutes on a CPU for 65k features.
DecoderPair most_similar_rows(const std::vector<float>& rows, std::int64_t count, std::int64_t width,
                              const std::string& device = "cpu");

// Over the dictionary's decoder directions decode(e_i) − decode(0), which any
// dictionary plugin answers whatever its bias or scaling conventions.
DecoderPair most_similar_decoder_pair(dictlab::DictionaryLearner& dictionary, const std::string& device = "cpu");

}  // namespace sae_metrics
