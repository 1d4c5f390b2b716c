// Evaluator: harvests a model's activations at one hook point once into fp16 shards on disk
// (format: sdk/include/dictlab/activation_cache.h), so that every dictionary
// of a sweep reads the same activations instead of running the model again.
// Shards are written one at a time, atomically; a stopped run keeps the ones
// it finished and the next run writes only the rest. Shard i depends only on
// (seed, i), so a resumed cache equals an uninterrupted one, and so does one
// harvested by several ranks: in a distributed run rank r harvests shards
// r, r + N, r + 2N..., and rank 0 gathers and writes each round of N.
#include <cstring>
#include <numeric>
#include <random>

#include "dictlab/activation_cache.h"
#include "dictlab/collectives.h"
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
          },
          .data_parallel = true};
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
    dictlab::Collectives& ranks = dictlab::collectives_of(context);
    std::int64_t harvested = 0;
    for (std::int64_t first = 0; first < info.shards; first += ranks.world_size()) {
      // The ranks stop together, at the same round.
      if (ranks.any_stop(context.stop_requested())) return {};
      // A shard is renamed into place whole, so one of the right size is
      // done. Rank 0 looks (it writes them) and tells each rank.
      torch::Tensor missing = torch::zeros({ranks.world_size()}, torch::kInt);
      for (int r = 0; r < ranks.world_size(); ++r) {
        const std::int64_t shard = first + r;
        const auto file = ActivationCacheInfo::shard_file(context.stage_dir(), shard);
        missing[r] = shard < info.shards && (!std::filesystem::exists(file) || std::filesystem::file_size(file) < shard_bytes);
      }
      std::vector<torch::Tensor> flags = {missing};
      ranks.broadcast(flags, 0);
      std::vector<std::uint16_t> halves;
      if (missing[ranks.rank()].item<int>())
        halves = harvest_shard(*model, tokens, info, first + ranks.rank(), context.seed());
      const auto shards = gather_shards(ranks, std::move(halves), info);
      for (std::size_t r = 0; r < shards.size(); ++r) {
        if (shards[r].empty()) continue;
        write_shard(shards[r], info, ActivationCacheInfo::shard_file(context.stage_dir(), first + static_cast<std::int64_t>(r)));
        ++harvested;
      }
      context.progress().set_done(static_cast<double>(std::min(info.shards, first + ranks.world_size())));
    }
    info.write(context.stage_dir());
    context.log().info("cached " + std::to_string(info.rows()) + " activations in " + std::to_string(info.shards) +
                       " shards (" + std::to_string(harvested) + " harvested in this run)");
    const double gib = static_cast<double>(shard_bytes * static_cast<std::uintmax_t>(info.shards)) / (1 << 30);
    return {{{"activation_cache_rows", static_cast<double>(info.rows()), {}, "Activations in the cache."},
             {"activation_cache_gib", gib, {}, "Size of the cache's shards."}}};
  }

 private:
  // Shard `shard`'s rows as fp16, shuffled so that a batch read in order
  // mixes positions and windows.
  static std::vector<std::uint16_t> harvest_shard(dictlab::Model& model, const dictlab::TokenShard& tokens,
                                                  const ActivationCacheInfo& info, std::int64_t shard,
                                                  std::uint64_t seed) {
    std::seed_seq sequence{seed, static_cast<std::uint64_t>(shard)};
    std::mt19937_64 rng(sequence);
    const std::vector<float> rows =
        dictlab::random_window_activations(model, info.hook, tokens, info.shard_rows / info.context_length, rng);
    std::vector<std::int64_t> order(static_cast<std::size_t>(info.shard_rows));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::uint16_t> halves(rows.size());
    for (std::int64_t r = 0; r < info.shard_rows; ++r) {
      const float* from = rows.data() + order[static_cast<std::size_t>(r)] * info.d_in;
      std::uint16_t* to = halves.data() + r * info.d_in;
      for (std::int64_t i = 0; i < info.d_in; ++i) to[i] = half_from_float(from[i]);
    }
    return halves;
  }

  // Every rank's harvested shard (empty where a rank had none to do) on rank
  // 0, in rank order; nothing elsewhere. One process: its own.
  static std::vector<std::vector<std::uint16_t>> gather_shards(dictlab::Collectives& ranks,
                                                               std::vector<std::uint16_t> halves,
                                                               const ActivationCacheInfo& info) {
    if (ranks.world_size() == 1) return {std::move(halves)};
    const std::int64_t size = info.shard_rows * info.d_in;
    const torch::Tensor has = torch::full({1}, halves.empty() ? 0 : 1, torch::kInt);
    // As bytes: Gloo reduces and gathers no 16-bit integers.
    torch::Tensor data = torch::zeros({size * 2}, torch::kByte);
    if (!halves.empty()) std::memcpy(data.data_ptr(), halves.data(), halves.size() * sizeof(std::uint16_t));
    const auto flags = ranks.gather(has, 0);
    const auto shards = ranks.gather(data, 0);
    std::vector<std::vector<std::uint16_t>> result(shards.size());
    for (std::size_t r = 0; r < shards.size(); ++r)
      if (flags[r].item<int>()) {
        const auto* begin = static_cast<const std::uint16_t*>(shards[r].data_ptr());
        result[r].assign(begin, begin + size);
      }
    return result;
  }

  // Rank 0 alone writes (on the other ranks nothing comes back to write).
  static void write_shard(const std::vector<std::uint16_t>& halves, const ActivationCacheInfo& info,
                          const std::filesystem::path& file) {
    dictlab::SafetensorsWriter writer;
    writer.add("activations", info.dtype, {info.shard_rows, info.d_in}, halves.data());
    writer.set_metadata("model_stage", info.model_stage);
    writer.set_metadata("hook", info.hook);
    writer.write(file);
  }
};

}  // namespace

DICTLAB_PLUGIN(ActivationCache, describe)
