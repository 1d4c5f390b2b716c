#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "checkpoints.h"
#include "dictlab/feature_store.h"
#include "feature_statistics.h"
#include "layout.h"
#include "test_support.h"
#include "dictlab/token_display.h"

namespace feature_analysis {
namespace {

struct NullLogger : dictlab::Logger {
  void info(std::string_view) override {}
  void warn(std::string_view) override {}
};

// Random sparse codes for `contexts` contexts of `length` tokens; with
// `levels`, rounded to that many values, so that activations tie.
struct RandomBatch {
  std::vector<std::int32_t> ids;
  std::vector<float> codes;
  std::int64_t contexts, length;
  RandomBatch(std::int64_t contexts, std::int64_t length, std::int64_t features, std::uint64_t seed, int levels = 0)
      : contexts(contexts), length(length) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    for (std::int64_t i = 0; i < contexts * length; ++i) ids.push_back(static_cast<std::int32_t>(rng() % 50));
    for (std::int64_t i = 0; i < contexts * length * features; ++i) {
      const float a = u(rng) < 0.2f ? 3 * u(rng) : 0.0f;
      codes.push_back(levels > 0 ? std::ceil(a * static_cast<float>(levels) / 3) : a);
    }
  }
  // As the `index`-th batch of equal batches.
  CodedBatch view(std::int64_t index, std::uint64_t seed = 7) const {
    return {ids.data(), codes.data(), contexts, length, index * contexts * length, seed};
  }
};

StatisticsShape small_shape() {
  StatisticsShape shape;
  shape.features = 6;
  shape.top_examples = 4;
  shape.intervals = 3;
  shape.interval_examples = 2;
  shape.histogram_bins = 5;
  shape.window_before = 2;
  shape.window_after = 1;
  return shape;
}

TEST(FeatureStatistics, TopExamplesAreTheLargestActivationsWithTheirWindows) {
  const auto shape = small_shape();
  FeatureStatistics stats(shape);
  const RandomBatch batch(3, 10, shape.features, 1);
  stats.first_pass(batch.view(0));
  for (std::int64_t f = 0; f < shape.features; ++f) {
    std::vector<float> all;
    for (std::int64_t r = 0; r < 30; ++r)
      if (float a = batch.codes[static_cast<std::size_t>(r * shape.features + f)]; a > 0) all.push_back(a);
    std::sort(all.rbegin(), all.rend());
    std::vector<float> kept(stats.tensor("top_activation")[f].data_ptr<float>(),
                            stats.tensor("top_activation")[f].data_ptr<float>() + shape.top_examples);
    std::sort(kept.rbegin(), kept.rend());
    for (std::int64_t k = 0; k < shape.top_examples; ++k) EXPECT_FLOAT_EQ(kept[k], all[k]) << "feature " << f;
    EXPECT_EQ(stats.tensor("count")[f].item<std::int64_t>(), static_cast<std::int64_t>(all.size()));
    EXPECT_FLOAT_EQ(stats.tensor("max")[f].item<float>(), all[0]);
    // The window's focus token carries the example's activation.
    for (std::int64_t k = 0; k < shape.top_examples; ++k) {
      const auto focus = stats.tensor("top_focus")[f][k].item<std::int64_t>();
      EXPECT_FLOAT_EQ(stats.tensor("top_activations")[f][k][focus].item<float>(),
                      stats.tensor("top_activation")[f][k].item<float>());
    }
  }
}

TEST(FeatureStatistics, HistogramAndIntervalsCoverEveryActivationOnce) {
  const auto shape = small_shape();
  FeatureStatistics stats(shape);
  const RandomBatch batch(4, 8, shape.features, 2);
  stats.first_pass(batch.view(0));
  stats.second_pass(batch.view(0));
  const auto histogram = stats.tensor("histogram").sum(1);
  const auto seen = stats.tensor("interval_seen").sum(1);
  EXPECT_TRUE(torch::equal(histogram, stats.tensor("count")));
  EXPECT_TRUE(torch::equal(seen, stats.tensor("count")));
  for (std::int64_t f = 0; f < shape.features; ++f) {
    const float max = stats.tensor("max")[f].item<float>();
    for (std::int64_t i = 0; i < shape.intervals; ++i)
      for (std::int64_t e = 0; e < shape.interval_examples; ++e) {
        const float a = stats.tensor("interval_activation")[f][i][e].item<float>();
        if (a < 0) continue;  // empty slot
        EXPECT_GE(a, max * i / shape.intervals * 0.9999f);
        EXPECT_LE(a, max * (i + 1) / shape.intervals * 1.0001f);
      }
  }
}

TEST(FeatureStatistics, ResumingFromACheckpointGivesTheSameState) {
  const auto shape = small_shape();
  std::vector<RandomBatch> batches;
  for (int b = 0; b < 6; ++b) batches.emplace_back(2, 8, shape.features, 10 + b);
  auto run = [&](FeatureStatistics& stats, int from, int to) {
    for (int step = from; step < to; ++step) {
      const auto view = batches[step % 3].view(step % 3);
      step < 3 ? stats.first_pass(view) : stats.second_pass(view);
    }
  };
  FeatureStatistics whole(shape);
  run(whole, 0, 6);

  dictlab::testing::TempDir dir;
  NullLogger log;
  {
    FeatureStatistics first(shape);
    run(first, 0, 4);
    torch_training::Checkpoints(dir.path(), log).save(4, first.state(), nullptr);
  }
  FeatureStatistics resumed(shape);
  ASSERT_EQ(torch_training::Checkpoints(dir.path(), log).restore_latest(resumed.state(), nullptr), 4);
  resumed.refresh();
  run(resumed, 4, 6);
  for (const auto& [name, tensor] : whole.state()) EXPECT_TRUE(torch::equal(tensor, resumed.tensor(name.c_str()))) << name;
}

// What a data-parallel run does: each of three shards sees every third
// batch, rank 0 merges the first pass, every shard bins by the merged
// maxima, rank 0 merges the second. Activations take 4 values, so top
// examples tie often: the earlier token must win in both.
TEST(FeatureStatistics, ShardsMergedEqualOnePassOverEveryBatch) {
  const auto shape = small_shape();
  std::vector<RandomBatch> batches;
  for (int b = 0; b < 7; ++b) batches.emplace_back(2, 8, shape.features, 20 + b, 4);
  FeatureStatistics whole(shape);
  for (int b = 0; b < 7; ++b) whole.first_pass(batches[b].view(b));
  whole.choose_triggers();
  for (int b = 0; b < 7; ++b) whole.second_pass(batches[b].view(b));

  std::vector<FeatureStatistics> shards;
  for (int r = 0; r < 3; ++r) shards.emplace_back(shape);
  for (int b = 0; b < 7; ++b) shards[b % 3].first_pass(batches[b].view(b));
  for (int r = 1; r < 3; ++r) shards[0].merge(shards[r].state(), Pass::kFirst);
  shards[0].choose_triggers();
  for (int r = 1; r < 3; ++r) {
    for (const char* name : {"max", "trigger"}) shards[r].state().at(name).copy_(shards[0].tensor(name));
    shards[r].refresh();
  }
  for (int b = 0; b < 7; ++b) shards[b % 3].second_pass(batches[b].view(b));
  for (int r = 1; r < 3; ++r) shards[0].merge(shards[r].state(), Pass::kSecond);

  // Merged slots come best first; one pass leaves them where they were filled.
  FeatureStatistics sorted(shape);
  sorted.merge(whole.state(), Pass::kFirst);
  sorted.merge(whole.state(), Pass::kSecond);
  sorted.state().at("trigger").copy_(whole.tensor("trigger"));  // chosen after the first pass, not gathered
  for (const auto& [name, tensor] : sorted.state()) {
    if (name == "sum") EXPECT_TRUE(torch::allclose(tensor, shards[0].tensor("sum"), 1e-12, 0)) << name;
    else EXPECT_TRUE(torch::equal(tensor, shards[0].tensor(name.c_str()))) << name;
  }
  EXPECT_GT((whole.tensor("near_activation") == 0).sum().item<std::int64_t>(), 0) << "near misses were merged";
  // The ties were there to break.
  const auto top = whole.tensor("top_activation");
  EXPECT_GT((top == top.select(1, shape.top_examples - 1).unsqueeze(1)).sum().item<std::int64_t>(), shape.features * 2);
}

// A near miss is a token equal to the feature's trigger (the token of its
// strongest example) where the feature is silent; every such token is
// equally likely to be kept.
TEST(FeatureStatistics, NearMissesAreSilentOccurrencesOfTheTriggerToken) {
  const auto shape = small_shape();
  RandomBatch batch(4, 8, shape.features, 4);
  for (auto& id : batch.ids) id %= 3;  // so that every trigger recurs, mostly where its feature is silent
  FeatureStatistics stats(shape);
  stats.first_pass(batch.view(0));
  stats.choose_triggers();
  stats.second_pass(batch.view(0));
  const std::int64_t M = shape.near_misses, W = shape.window();
  for (std::int64_t f = 0; f < shape.features; ++f) {
    const std::int64_t best = stats.tensor("top_activation")[f].argmax().item<std::int64_t>();
    const auto trigger = stats.tensor("top_ids")[f][best][stats.tensor("top_focus")[f][best].item<std::int64_t>()];
    ASSERT_EQ(stats.tensor("trigger")[f].item<std::int64_t>(), trigger.item<std::int64_t>());
    std::int64_t silent = 0;  // occurrences of the trigger where f is 0
    for (std::int64_t r = 0; r < 32; ++r)
      silent += batch.ids[r] == trigger.item<std::int32_t>() && batch.codes[r * shape.features + f] == 0.0f;
    std::int64_t kept = 0;
    for (std::int64_t m = 0; m < M; ++m) {
      if (stats.tensor("near_activation")[f][m].item<float>() < 0) continue;
      ++kept;
      const auto focus = stats.tensor("near_focus")[f][m].item<std::int64_t>();
      EXPECT_EQ(stats.tensor("near_ids")[f][m][focus].item<std::int32_t>(), trigger.item<std::int32_t>());
      EXPECT_EQ(stats.tensor("near_activations")[f][m][focus].item<float>(), 0.0f);
      ASSERT_LT(focus, W);
    }
    EXPECT_EQ(kept, std::min(M, silent)) << "feature " << f;
    EXPECT_GT(silent, M) << "feature " << f << ": a sample, not all of them";
  }
}

TEST(FeatureStatistics, ClearingAPassKeepsWhatTheOtherGathered) {
  const auto shape = small_shape();
  const RandomBatch batch(2, 8, shape.features, 3);
  FeatureStatistics stats(shape), empty(shape);
  stats.first_pass(batch.view(0));
  stats.second_pass(batch.view(0));
  const auto max = stats.tensor("max").clone();
  stats.clear(Pass::kSecond);
  EXPECT_TRUE(torch::equal(stats.tensor("max"), max));
  for (const auto& name : FeatureStatistics::gathered_by(Pass::kSecond))
    EXPECT_TRUE(torch::equal(stats.tensor(name.c_str()), empty.tensor(name.c_str()))) << name;
  stats.clear(Pass::kFirst);
  for (const auto& name : FeatureStatistics::gathered_by(Pass::kFirst))
    EXPECT_TRUE(torch::equal(stats.tensor(name.c_str()), empty.tensor(name.c_str()))) << name;
}

TEST(TokenDisplay, ShowsACharacterSplitOverByteTokensOnItsFirstToken) {
  // "é" is C3 A9; "€" is E2 82 AC.
  const dictlab::TokenDisplay display({"a", "\xC3", "\xA9", " b", "\xE2", "\x82", "\xAC", "\xFF", "\xE2", "c"});
  const std::vector<std::int32_t> ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 0};
  const auto shown = display.window(ids.data(), static_cast<std::int64_t>(ids.size()));
  const std::vector<std::string> expected = {"a", "\xC3\xA9", "", " b", "\xE2\x82\xAC", "", "",
                                             "\xEF\xBF\xBD", "\xEF\xBF\xBD", "c"};
  EXPECT_EQ(shown, expected);
}

TEST(Layout, KeepsTwoClustersOfDirectionsApart) {
  torch::manual_seed(0);
  const auto centres = torch::randn({2, 32});
  const auto directions = torch::cat({centres[0] + 0.1 * torch::randn({60, 32}), centres[1] + 0.1 * torch::randn({60, 32})});
  const auto xy = layout_2d(directions, {10, 100, 1});
  ASSERT_EQ(xy.sizes(), (std::vector<std::int64_t>{120, 2}));
  EXPECT_GE(xy.min().item<float>(), 0.0f);
  EXPECT_LE(xy.max().item<float>(), 1.0f);
  const auto a = xy.narrow(0, 0, 60), b = xy.narrow(0, 60, 60);
  const double within = (torch::cdist(a, a).mean() + torch::cdist(b, b).mean()).item<double>() / 2;
  const double between = torch::cdist(a, b).mean().item<double>();
  EXPECT_GT(between, 2 * within);
}

TEST(FeatureStore, KeepsEvidenceAndSummaries) {
  dictlab::testing::TempDir dir;
  const auto file = dir.path() / "features.sqlite";
  dictlab::FeatureEvidence evidence;
  evidence.feature = 3;
  evidence.density = 0.25;
  evidence.max_activation = 2.5;
  evidence.histogram = {1, 2, 3};
  evidence.top_examples = {{2.5f, 1, {"\xD8\xB3", "x"}, {0.5f, 2.5f}}};
  evidence.positive_logits = {{"a", 0.5f}};
  {
    auto store = dictlab::FeatureStore::create(file);
    store.set_meta("n_features", 1);
    store.put(evidence, 0.1, 0.9, "x");
  }
  auto store = dictlab::FeatureStore::open(file);
  EXPECT_EQ(store.size(), 1);
  EXPECT_EQ(store.meta("n_features"), 1);
  const auto back = store.evidence(3);
  EXPECT_EQ(nlohmann::json(back), nlohmann::json(evidence));
  store.for_each_summary([](const dictlab::FeatureSummary& s) {
    EXPECT_EQ(s.id, 3);
    EXPECT_DOUBLE_EQ(s.y, 0.9);
    EXPECT_EQ(s.top_tokens, "x");
  });
  EXPECT_THROW(store.evidence(4), dictlab::PluginError);
  EXPECT_THROW(store.meta("missing"), dictlab::PluginError);
  EXPECT_THROW(dictlab::FeatureStore::open(dir.path() / "nope.sqlite"), dictlab::PluginError);
}

}  // namespace
}  // namespace feature_analysis
