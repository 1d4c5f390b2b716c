// Evaluator: harvests a model's activations at one hook point once into fp16 shards on disk
// (format: sdk/include/dictlab/activation_cache.h), so that every dictionary
// of a sweep reads the same activations instead of running the model again.
// Shards are written one at a time, atomically; a stopped run keeps the ones
// it finished and the next run writes only the rest. Shard i depends only on
// (seed, i), so a resumed cache equals an uninterrupted one.
#include <cstring>
#include <numeric>
#include <random>

#include "dictlab/activation_cache.h"
#include "dictlab/safetensors.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"

namespace {

using dictlab::ActivationCacheInfo;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "activation_cache",
          .version = "1.0.0",
          .summary = "Harvests a model's activations at one hook once into fp16 shards that dictionary stages train on.",
          .options = {
              dictlab::hook_option(),
              OptionSpec{"activations", OptionType::kInt, "Activations (token positions) to harvest.",
                         std::int64_t{8388608}}
                  .at_least(1),
              OptionSpec{"shard_activations", OptionType::kInt,
                         "Activations per shard file; a multiple of the model's context length.", std::int64_t{131072}}
                  .at_least(1),
          }};
}

// IEEE binary16, round to nearest even (F. Giesen's float_to_half_fast3_rtne).
std::uint16_t half_from_float(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  std::uint32_t half;
  if (bits >= (127u + 16u) << 23) {  // too large for binary16: Inf, or NaN
    half = bits > 255u << 23 ? 0x7e00u : 0x7c00u;
  } else if (bits < 113u << 23) {  // a subnormal half or zero: let float addition round
    const std::uint32_t magic_bits = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    float magic;
    std::memcpy(&magic, &magic_bits, sizeof magic);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    f += magic;
    std::memcpy(&bits, &f, sizeof bits);
    half = bits - magic_bits;
  } else {
    const std::uint32_t odd = (bits >> 13) & 1u;
    bits += ((15u - 127u) << 23) + 0xfffu + odd;
    half = bits >> 13;
  }
  return static_cast<std::uint16_t>(half | sign >> 16);
}

class ActivationCache : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t wanted = options.get_int("activations");
    const std::int64_t shard_rows = options.get_int("shard_activations");
    const auto model = dictlab::open_input_model(context);
    const auto shape = model->shape();
    const dictlab::HookPoint hook = dictlab::chosen_hook(*model, options);
    if (shard_rows % shape.context_length != 0)
      throw OptionError("shard_activations", "must be a multiple of the model's context length (" +
                                                 std::to_string(shape.context_length) + ")");
    const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
    const dictlab::TokenShard tokens(tokens_stage.dir, "train", shape.context_length);

    ActivationCacheInfo info;
    info.d_in = hook.width;
    info.hook = hook.name;
    info.context_length = shape.context_length;
    info.shard_rows = shard_rows;
    info.shards = (wanted + shard_rows - 1) / shard_rows;
    info.model_stage = context.input(dictlab::PluginKind::kModel).stage;
    const std::uintmax_t shard_bytes = static_cast<std::uintmax_t>(shard_rows * hook.width) * 2;

    context.progress().set_total(static_cast<double>(info.shards));
    std::int64_t harvested = 0;
    for (std::int64_t shard = 0; shard < info.shards; ++shard) {
      if (context.stop_requested()) return {};
      const auto file = ActivationCacheInfo::shard_file(context.stage_dir(), shard);
      // A shard is renamed into place whole, so one of the right size is done.
      if (!std::filesystem::exists(file) || std::filesystem::file_size(file) < shard_bytes) {
        write_shard(*model, tokens, info, shard, context.seed(), file);
        ++harvested;
      }
      context.progress().set_done(static_cast<double>(shard + 1));
    }
    info.write(context.stage_dir());
    context.log().info("cached " + std::to_string(info.rows()) + " activations in " + std::to_string(info.shards) +
                       " shards (" + std::to_string(harvested) + " harvested in this run)");
    const double gib = static_cast<double>(shard_bytes * static_cast<std::uintmax_t>(info.shards)) / (1 << 30);
    return {{{"activation_cache_rows", static_cast<double>(info.rows()), {}, "Activations in the cache."},
             {"activation_cache_gib", gib, {}, "Size of the cache's shards."}}};
  }

 private:
  static void write_shard(dictlab::Model& model, const dictlab::TokenShard& tokens, const ActivationCacheInfo& info,
                          std::int64_t shard, std::uint64_t seed, const std::filesystem::path& file) {
    std::seed_seq sequence{seed, static_cast<std::uint64_t>(shard)};
    std::mt19937_64 rng(sequence);
    const std::vector<float> rows =
        dictlab::random_window_activations(model, info.hook, tokens, info.shard_rows / info.context_length, rng);
    // Shuffled so that a batch read in order mixes positions and windows.
    std::vector<std::int64_t> order(static_cast<std::size_t>(info.shard_rows));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::uint16_t> halves(rows.size());
    for (std::int64_t r = 0; r < info.shard_rows; ++r) {
      const float* from = rows.data() + order[static_cast<std::size_t>(r)] * info.d_in;
      std::uint16_t* to = halves.data() + r * info.d_in;
      for (std::int64_t i = 0; i < info.d_in; ++i) to[i] = half_from_float(from[i]);
    }
    dictlab::SafetensorsWriter writer;
    writer.add("activations", info.dtype, {info.shard_rows, info.d_in}, halves.data());
    writer.set_metadata("model_stage", info.model_stage);
    writer.set_metadata("hook", info.hook);
    writer.write(file);
  }
};

}  // namespace

DICTLAB_PLUGIN(ActivationCache, describe)
