#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "dictlab/dictionary.h"
#include "dictlab/model.h"

namespace feature_analysis {

// Golden values from the C++ model for the in-browser model to match
// (host/site/DATA.md, check.json): token ids of varied Unicode text, logits of
// a short input, its nonzero feature activations, and logits with `feature`
// pinned to `value`. `directions` are the decoder directions [features, d_in].
nlohmann::json browser_check(dictlab::Model& model, dictlab::DictionaryLearner& dictionary,
                             const torch::Tensor& directions, std::int64_t feature, float value);

}  // namespace feature_analysis
