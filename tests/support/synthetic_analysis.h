#pragma once

// A finished feature_analysis stage written straight into a run directory,
// without a model: what `dictlab export` and `serve` need, in milliseconds.

#include <filesystem>
#include <string>

#include "dictlab/atomic_file.h"
#include "dictlab/feature_store.h"

namespace dictlab::testing {

inline void write_synthetic_analysis(const std::filesystem::path& run_dir, const std::string& stage, int n_features) {
  const auto dir = run_dir / "stages" / stage;
  std::filesystem::create_directories(dir);
  auto store = FeatureStore::create(dir / FeatureStore::kFileName);
  store.set_meta("n_features", n_features);
  store.set_meta("dictionary_stage", "sae");
  store.set_meta("model_stage", "model");
  store.set_meta("tokens_analysed", 1000);
  store.set_meta("histogram_bins", 4);
  store.begin();
  for (int i = 0; i < n_features; ++i) {
    FeatureEvidence evidence;
    evidence.feature = i;
    evidence.density = 0.01 * (i + 1);
    evidence.max_activation = 1.0 + i;
    evidence.histogram = {3, 2, 1, 0};
    evidence.top_examples = {{1.0f + i, 1, {"a", "b", "c"}, {0.0f, 1.0f + i, 0.5f}}};
    evidence.positive_logits = {{"x", 0.5f}};
    store.put(evidence, 0.5, 0.5, "b");
  }
  store.commit();
  AtomicFile::write_all(dir / "manifest.json", "{}\n");
}

}  // namespace dictlab::testing
