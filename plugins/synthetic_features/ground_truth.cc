#include "ground_truth.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/safetensors.h"
#include "fast_random.h"
#include "orthogonalize.h"

namespace synthetic {

namespace {

constexpr const char* kTensorsFile = "ground_truth.safetensors";
constexpr const char* kConfigFile = "synthetic.json";

// Streams of (seed, stream, 0) used while building; samples use streams 0 and 1.
enum BuildStream : std::uint64_t { kDirections = 10, kStdMagnitudes = 11, kCorrelation = 12, kBias = 13 };

std::vector<float> random_unit_rows(std::int64_t rows, std::int64_t width, FastRandom& rng) {
  std::vector<float> out(static_cast<std::size_t>(rows * width));
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = out.data() + r * width;
    double norm = 0;
    for (std::int64_t j = 0; j < width; ++j) {
      row[j] = static_cast<float>(rng.normal());
      norm += static_cast<double>(row[j]) * row[j];
    }
    const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (std::int64_t j = 0; j < width; ++j) row[j] *= scale;
  }
  return out;
}

// SynthSAEBench's generate_random_low_rank_correlation_matrix: factor ~ N(0, scale²),
// scaled down if some row would leave less than 0.01 of unit variance to the diagonal.
void build_correlation(GroundTruth& truth, FastRandom rng) {
  const std::int64_t n = truth.n(), rank = truth.config.correlation_rank;
  if (rank == 0) return;
  truth.correlation_factor.resize(static_cast<std::size_t>(rank * n));
  std::vector<double> squares(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < rank; ++k) {
      const double value = rng.normal() * truth.config.correlation_scale;
      truth.correlation_factor[static_cast<std::size_t>(k * n + i)] = static_cast<float>(value);
      squares[static_cast<std::size_t>(i)] += value * value;
    }
  constexpr double kMinDiag = 0.01;
  const double largest = *std::max_element(squares.begin(), squares.end());
  if (1 - largest < kMinDiag) {
    const double scale = std::sqrt((1 - kMinDiag) / largest);
    for (auto& f : truth.correlation_factor) f = static_cast<float>(f * scale);
    for (auto& s : squares) s *= scale * scale;
  }
  truth.correlation_diag.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    truth.correlation_diag[static_cast<std::size_t>(i)] = static_cast<float>(1 - squares[static_cast<std::size_t>(i)]);
}

template <typename T>
std::vector<T> tensor_as(const dictlab::SafetensorsFile& file, const std::string& name, std::vector<std::int64_t> shape,
                         const char* dtype) {
  const auto& tensor = file.get(name, shape, {dtype});
  std::vector<T> out(static_cast<std::size_t>(tensor.elements()));
  if (!out.empty()) std::memcpy(out.data(), tensor.bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace

std::vector<double> zipf_probabilities(std::int64_t n, double exponent, double max_prob, double min_prob) {
  if (n == 1) return {max_prob};
  std::vector<double> p(static_cast<std::size_t>(n));
  const double lowest = std::pow(static_cast<double>(n), -exponent);
  for (std::int64_t i = 0; i < n; ++i) {
    const double raw = std::pow(static_cast<double>(i + 1), -exponent);
    p[static_cast<std::size_t>(i)] = min_prob + (max_prob - min_prob) * (raw - lowest) / (1.0 - lowest);
  }
  return p;
}

GroundTruth GroundTruth::build(const SyntheticConfig& config, std::uint64_t seed,
                               const std::function<void(std::int64_t, std::int64_t)>& progress) {
  validate(config);
  GroundTruth truth;
  truth.config = config;
  truth.seed = seed;
  const std::int64_t n = config.num_features, d = config.hidden_dim;
  FastRandom direction_rng(seed, kDirections, 0);
  truth.directions = random_unit_rows(n, d, direction_rng);
  orthogonalize(truth.directions, n, d, config.orthogonalize_steps, config.orthogonalize_lr, progress);
  FastRandom bias_rng(seed, kBias, 0);
  truth.bias = random_unit_rows(1, d, bias_rng);
  for (auto& b : truth.bias) b = static_cast<float>(b * config.bias_norm);

  truth.base_probability = zipf_probabilities(n, config.zipf_exponent, config.max_prob, config.min_prob);
  truth.hierarchy = FeatureHierarchy::generate(config, seed);
  truth.sampling_probability = truth.base_probability;
  if (config.compensate_probabilities) {
    const auto factor = truth.hierarchy.probability_correction(truth.base_probability);
    for (std::size_t i = 0; i < factor.size(); ++i)
      truth.sampling_probability[i] = std::min(1.0, truth.base_probability[i] * factor[i]);
  }
  truth.mean_magnitude.resize(static_cast<std::size_t>(n));
  truth.std_magnitude.resize(static_cast<std::size_t>(n));
  FastRandom std_rng(seed, kStdMagnitudes, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1);
    truth.mean_magnitude[static_cast<std::size_t>(i)] =
        static_cast<float>(config.magnitude_mean_start + (config.magnitude_mean_end - config.magnitude_mean_start) * t);
    truth.std_magnitude[static_cast<std::size_t>(i)] =
        static_cast<float>(std::abs(config.magnitude_std_mean + config.magnitude_std_std * std_rng.normal()));
  }
  build_correlation(truth, FastRandom(seed, kCorrelation, 0));
  return truth;
}

bool GroundTruth::exists_in(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / kConfigFile) && std::filesystem::exists(dir / kTensorsFile);
}

void GroundTruth::save(const std::filesystem::path& dir) const {
  const std::int64_t n = this->n(), d = this->d(), rank = config.correlation_rank;
  dictlab::SafetensorsWriter writer;
  writer.add_f32("feature_vectors", {n, d}, directions.data());
  writer.add_f32("bias", {d}, bias.data());
  writer.add("firing_probabilities", "F64", {n}, base_probability.data());
  writer.add("sampling_probabilities", "F64", {n}, sampling_probability.data());
  writer.add_f32("mean_magnitudes", {n}, mean_magnitude.data());
  writer.add_f32("std_magnitudes", {n}, std_magnitude.data());
  writer.add("parents", "I64", {n}, hierarchy.parent.data());
  writer.add("mutually_exclusive_children", "U8", {n}, hierarchy.exclusive_children.data());
  if (rank > 0) {
    writer.add_f32("correlation_factor", {rank, n}, correlation_factor.data());
    writer.add_f32("correlation_diag", {n}, correlation_diag.data());
  }
  writer.set_metadata("format", "dictlab synthetic ground truth 1");
  writer.write(dir / kTensorsFile);
  const nlohmann::json json = {{"seed", seed}, {"config", to_json(config)}};
  // The config goes last: a folder with synthetic.json has its tensors too.
  dictlab::AtomicFile::write_all(dir / kConfigFile, json.dump(2) + "\n");
}

GroundTruth GroundTruth::load(const std::filesystem::path& dir) {
  const auto config_file = dir / kConfigFile;
  std::ifstream in(config_file);
  if (!in) throw dictlab::PluginError("no " + config_file.string() + " (is it a synthetic_activations stage?)");
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("seed") || !json["seed"].is_number_unsigned())
    throw dictlab::PluginError(config_file.string() + ": not a JSON object with an unsigned \"seed\"");
  GroundTruth truth;
  truth.seed = json["seed"].get<std::uint64_t>();
  truth.config = config_from_json(json.value("config", nlohmann::json()), config_file.string());
  validate(truth.config);
  const std::int64_t n = truth.n(), d = truth.d(), rank = truth.config.correlation_rank;
  const dictlab::SafetensorsFile file(dir / kTensorsFile);
  truth.directions = tensor_as<float>(file, "feature_vectors", {n, d}, "F32");
  truth.bias = tensor_as<float>(file, "bias", {d}, "F32");
  truth.base_probability = tensor_as<double>(file, "firing_probabilities", {n}, "F64");
  truth.sampling_probability = tensor_as<double>(file, "sampling_probabilities", {n}, "F64");
  truth.mean_magnitude = tensor_as<float>(file, "mean_magnitudes", {n}, "F32");
  truth.std_magnitude = tensor_as<float>(file, "std_magnitudes", {n}, "F32");
  auto parents = tensor_as<std::int64_t>(file, "parents", {n}, "I64");
  for (std::int64_t i = 0; i < n; ++i)
    if (parents[static_cast<std::size_t>(i)] >= i)
      throw dictlab::PluginError((dir / kTensorsFile).string() + ": feature " + std::to_string(i) +
                                 " has a parent that is not an earlier feature");
  truth.hierarchy = FeatureHierarchy::from_parents(std::move(parents),
                                                   tensor_as<std::uint8_t>(file, "mutually_exclusive_children", {n}, "U8"));
  if (rank > 0) {
    truth.correlation_factor = tensor_as<float>(file, "correlation_factor", {rank, n}, "F32");
    truth.correlation_diag = tensor_as<float>(file, "correlation_diag", {n}, "F32");
  }
  return truth;
}

}  // namespace synthetic
