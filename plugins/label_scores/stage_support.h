#pragma once

// What the evaluators of this folder (label_scores, intruder_scores) share
// around their scores: finding the feature analysis among the inputs, the
// held-out pool of the input model and dictionary, the journal a killed stage
// resumes from, the threads that fill it, and small helpers for answers and
// figures.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
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

// The work of run_journaled_jobs: one record per job.
struct JournaledJobs {
  std::size_t count = 0;  // jobs 0 .. count - 1
  // Job i's record, made on a worker thread; one with an "error" is a
  // failure. nullopt once the stage is stopped.
  std::function<std::optional<nlohmann::json>(std::size_t)> make;
  // Takes job i's record once it is in the journal; one call at a time.
  std::function<void(std::size_t, nlohmann::json)> keep;
};

// The counter of run_journaled_jobs' records, labelled {"outcome": "ok" or
// "failed"}.
struct OutcomeCounter {
  std::string name, help;
};

// Makes `jobs`' records on `concurrency` threads, appending each to
// `journal_file` (see read_journal_records) before it is kept, until all are
// made or the stage is stopped. The progress counts up from `total` less
// the jobs. Throws PluginError naming the journal when a line cannot be
// written to it: a record the journal lacks is asked for again after a kill.
void run_journaled_jobs(dictlab::RunContext& context, const JournaledJobs& jobs, std::int64_t concurrency,
                        const std::filesystem::path& journal_file, std::size_t total, const OutcomeCounter& counter);

// The start of an unusable answer, on one line and quoted, for the log and
// the error.
std::string excerpt(const std::string& answer);

// The arithmetic mean; 0 for no value.
double mean(const std::vector<double>& values);

}  // namespace label_scores
