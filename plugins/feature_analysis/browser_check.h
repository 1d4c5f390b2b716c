#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "dictlab/dictionary.h"
#include "dictlab/model.h"

namespace feature_analysis {

// Whether the in-page model (host/site/src/model) can run this dictionary:
// it has hooks in its MLP only, so an SAE of the MLP's activations
// (blocks.0.mlp.hook_post) or a transcoder from the MLP's input
// (blocks.0.ln2.hook_normalized) to its output (blocks.0.hook_mlp_out).
bool page_runs(const dictlab::DictionaryShape& shape);

// Golden values from the C++ model for the in-browser model to match
// (host/site/DATA.md, check.json): token ids of varied Unicode text, logits of
// a short input, its nonzero feature activations, and logits with `feature`
// pinned to `value`. `directions` are the decoder directions [features,
// written_width()] (a transcoder's at the MLP's output).
nlohmann::json browser_check(dictlab::Model& model, dictlab::DictionaryLearner& dictionary,
                             const torch::Tensor& directions, std::int64_t feature, float value);

}  // namespace feature_analysis
