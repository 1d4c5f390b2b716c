#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace dictlab::testing {

// The plugins of this build, for run_command's environment.
std::map<std::string, std::string> plugin_environment();

// A tiny corpus under `dir`/corpus and an experiment `dir`/exp.toml that runs
// it through tokenizer, toy model, a TopK dictionary and the feature analysis
// into `dir`/run; `analysis_options` are appended to the analysis stage and
// `more_stages` (whole [[stage]] tables) after it.
std::filesystem::path write_tiny_site_experiment(const std::filesystem::path& dir,
                                                 const std::string& analysis_options = "",
                                                 const std::string& more_stages = "");

// Two more stages for write_tiny_site_experiment's `more_stages`: a smaller
// TopK dictionary "sae_small" (64 features) on the same model and its
// analysis "features_small", so a run has two dictionaries to browse.
std::string small_dictionary_stages();

// More stages for write_tiny_site_experiment's `more_stages`: a dictionary of
// every other architecture the in-page model runs, on the same model, each
// with its analysis: sae_l1 (standard) / features_l1, sae_batchtopk (saved
// in JumpReLU form) / features_batchtopk, sae_jumprelu / features_jumprelu,
// and transcoder / features_transcoder (MLP input to MLP output).
std::string architecture_stages();

// Relation stages in a run that has small_dictionary_stages(), written as the
// universality and feature_splitting evaluators leave them (their artifact and
// a manifest.json): "universality" (twins.json, sae -> sae_b of model_b, a
// dictionary with no analysis), "universality_ba" (sae_b -> sae), "splitting"
// (splitting.json, sae_small -> sae), and "splitting_rerun", a stage stopped
// mid-run (checkpoint, no manifest) whose splitting.json must be ignored.
// The relations, by feature:
//   sae #0: twin sae_b #11 (0.91); best match of sae_b #30 (0.7); parent sae_small #3 (0.6, cosine 0.5)
//   sae #1: twin sae_b #12 (0.42); parent sae_small #3 (0.8, cosine 0.7)
//   sae #2: best match of sae_b #0..#24 (correlation 0.5 + 0.01 * unit)
//   sae #10..#34: parent sae_small #7 (correlation 0.3 + 0.01 * (child - 10), cosine 0.2)
//   sae_small #3: children sae #1, #0; sae_small #7: children sae #10..#34
void write_relation_stages(const std::filesystem::path& run_dir);

// A test suite sharing one run: Suite::write_experiment(dir) writes the
// experiment file into a temporary folder and returns its path; the run goes
// once for the whole suite, and Suite::after_run(run_dir) may add to it.
template <typename Suite>
class SharedRunSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    const auto result =
        run_command({DICTLAB_BINARY, "run", Suite::write_experiment(dir_->path()).string()}, plugin_environment());
    run_output_ = result.output;
    run_exit_code_ = result.exit_code;
    if (result.exit_code == 0) Suite::after_run(run());
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_EQ(run_exit_code_, 0) << run_output_; }
  static std::filesystem::path run() { return dir_->path() / "run"; }
  static void after_run(const std::filesystem::path&) {}

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::string run_output_;
  static inline int run_exit_code_ = -1;
};

// A finished stage's manifest.json (host/src/manifest.h) in `stage_dir`.
void write_finished_manifest(const std::filesystem::path& stage_dir, const std::string& plugin);

}  // namespace dictlab::testing
