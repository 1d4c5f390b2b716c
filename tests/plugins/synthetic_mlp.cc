// Test-only model: its "MLP activations" are sparse sums of known random unit
// directions, so a dictionary learner can be checked against the truth. For
// transcoders, the MLP's input (ln2.hook_normalized) holds the same sums and
// its output (hook_mlp_out) the same codes times other known directions.
#include <fstream>
#include <random>

#include "dictlab/safetensors.h"
#include "dictlab/sdk.h"

namespace {

using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "synthetic_mlp",
          .version = "1.0.0",
          .summary = "Activations built from known sparse directions (for dictlab's own tests).",
          .options = {
              {"d_mlp", OptionType::kInt, "Activation width.", std::int64_t{64}},
              {"features", OptionType::kInt, "True directions.", std::int64_t{128}},
              {"active", OptionType::kInt, "Directions active per token.", std::int64_t{4}},
          }};
}

class SyntheticMlp : public dictlab::Model {
 public:
  void train(dictlab::RunContext& context) override {
    const auto& o = context.options();
    config_ = {{"d_mlp", o.get_int("d_mlp")}, {"features", o.get_int("features")},
               {"active", o.get_int("active")}, {"seed", context.seed()}};
    dictlab::AtomicFile::write_all(context.stage_dir() / "config.json", config_.dump());
    make_directions();
    dictlab::SafetensorsWriter writer;
    writer.add_f32("directions", {features(), d_mlp()}, directions_.data());
    writer.add_f32("output_directions", {features(), d_mlp()}, output_directions_.data());
    writer.write(context.stage_dir() / "directions.safetensors");
  }
  void load(const std::filesystem::path& dir, const std::string&) override {
    std::ifstream in(dir / "config.json");
    config_ = nlohmann::json::parse(in);
    make_directions();
  }
  dictlab::ModelShape shape() const override { return {400, 32, 0, d_mlp(), 1}; }
  // One hook: activations with planted features, named as an MLP's are.
  std::vector<dictlab::HookPoint> planned_hook_points(const dictlab::Options& options) const override {
    return {{kInputHook, options.get_int("d_mlp")}, {kHook, options.get_int("d_mlp")}, {kOutputHook, options.get_int("d_mlp")}};
  }
  std::vector<dictlab::HookPoint> hook_points() const override {
    return {{kInputHook, d_mlp()}, {kHook, d_mlp()}, {kOutputHook, d_mlp()}};
  }
  std::string default_hook() const override { return kHook; }

  std::vector<std::vector<float>> activations(const dictlab::TokenBatch& tokens,
                                              const std::vector<std::string>& hooks) override {
    std::vector<std::vector<float>> out;
    for (const auto& hook : hooks) {
      dictlab::find_hook_point(hook_points(), hook);
      out.push_back(planted(tokens, hook == kOutputHook ? output_directions_ : directions_));
    }
    return out;
  }

 private:
  static constexpr const char* kHook = "blocks.0.mlp.hook_post";
  static constexpr const char* kInputHook = "blocks.0.ln2.hook_normalized";
  static constexpr const char* kOutputHook = "blocks.0.hook_mlp_out";

  std::vector<float> planted(const dictlab::TokenBatch& tokens, const std::vector<float>& directions) const {
    std::vector<float> out(static_cast<std::size_t>(tokens.batch * tokens.length * d_mlp()), 0.0f);
    for (std::int64_t r = 0; r < tokens.batch * tokens.length; ++r) {
      // Seeded by the token, its predecessor and its position: the same text
      // gives the same activations.
      const std::uint64_t previous = r % tokens.length ? static_cast<std::uint64_t>(tokens.ids[r - 1]) : 0;
      std::mt19937_64 rng(static_cast<std::uint64_t>(tokens.ids[r]) * 7919 + previous * 104729 +
                          static_cast<std::uint64_t>(r % tokens.length) * 15485863 + 1);
      std::uniform_int_distribution<std::int64_t> pick(0, features() - 1);
      std::uniform_real_distribution<float> size(0.5f, 1.5f);
      for (std::int64_t a = 0; a < config_["active"].get<std::int64_t>(); ++a) {
        const std::int64_t f = pick(rng);
        const float c = size(rng);
        for (std::int64_t j = 0; j < d_mlp(); ++j)
          out[static_cast<std::size_t>(r * d_mlp() + j)] += c * directions[static_cast<std::size_t>(f * d_mlp() + j)];
      }
    }
    return out;
  }

 public:
  double loss(const dictlab::TokenBatch&, const dictlab::HookEdits&) override {
    throw dictlab::PluginError("synthetic_mlp is not a language model: it has no loss");
  }
  std::vector<std::int32_t> encode(std::string_view) const override { return {}; }
  std::string decode(const std::vector<std::int32_t>&) const override { return {}; }
  std::string generate(std::string_view, const dictlab::SamplingOptions&, const dictlab::HookEdits&) override {
    return {};
  }
  std::vector<float> logits(const dictlab::TokenBatch&, const dictlab::HookEdits&) override {
    throw dictlab::PluginError("synthetic_mlp is not a language model: it has no logits");
  }
  std::vector<float> logit_weights(std::string_view) override {
    throw dictlab::PluginError("synthetic_mlp is not a language model: it has no logits");
  }
  bool export_bundle(const std::filesystem::path&) const override { return false; }

 private:
  std::int64_t d_mlp() const { return config_["d_mlp"]; }
  std::int64_t features() const { return config_["features"]; }
  void make_directions() {
    std::mt19937_64 rng(config_["seed"].get<std::uint64_t>() + 17);
    random_unit_rows(rng, directions_);
    random_unit_rows(rng, output_directions_);  // drawn after: the input directions stay as they were
  }
  void random_unit_rows(std::mt19937_64& rng, std::vector<float>& rows) const {
    std::normal_distribution<float> normal;
    rows.assign(static_cast<std::size_t>(features() * d_mlp()), 0.0f);
    for (std::int64_t f = 0; f < features(); ++f) {
      double norm = 0;
      for (std::int64_t j = 0; j < d_mlp(); ++j) {
        const float v = normal(rng);
        rows[static_cast<std::size_t>(f * d_mlp() + j)] = v;
        norm += v * v;
      }
      for (std::int64_t j = 0; j < d_mlp(); ++j)
        rows[static_cast<std::size_t>(f * d_mlp() + j)] /= static_cast<float>(std::sqrt(norm));
    }
  }

  nlohmann::json config_;
  std::vector<float> directions_, output_directions_;
};

}  // namespace

DICTLAB_PLUGIN(SyntheticMlp, describe)
