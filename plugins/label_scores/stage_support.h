#pragma once

// What the evaluators of this folder (label_scores, intruder_scores) share
// around their scores: finding the feature analysis among the inputs, the
// held-out pool of the input model and dictionary, the journal a killed stage
// resumes from, and small helpers for answers and figures.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "contexts.h"
#include "dictlab/feature_store.h"
#include "dictlab/options.h"
#include "dictlab/run_context.h"

namespace label_scores {

// The option of how many held-out contexts input_heldout_pool runs over.
dictlab::OptionSpec heldout_contexts_option();

// The input stage with the feature store (features.sqlite); throws naming
// `plugin` when none has it.
const dictlab::StageInput& analysis_input(const dictlab::RunContext& context, const std::string& plugin);

// Tokens per example window of the store (before + 1 + after); 16, with a
// warning, when the store does not say.
std::int64_t store_window(dictlab::FeatureStore& store, dictlab::Logger& log);

// Runs the stage's input model and dictionary over `contexts` seeded random
// contexts of the tokenizer input's held-out split, keeping `features`'
// activations (see HeldoutPool). Returns an empty pool once stopped.
HeldoutPool input_heldout_pool(dictlab::RunContext& context, const std::vector<std::int64_t>& features,
                               std::int64_t contexts, std::int64_t window);

// The records of a journal (one JSON object per line, appended as they are
// made) that have every key of `required`. A torn last line (a kill
// mid-write) is dropped, so that record is made again.
std::vector<nlohmann::json> read_journal_records(const std::filesystem::path& file,
                                                 const std::vector<std::string>& required);

// The start of an unusable answer, on one line and quoted, for the log and
// the error.
std::string excerpt(const std::string& answer);

// The arithmetic mean; 0 for no value.
double mean(const std::vector<double>& values);

}  // namespace label_scores
