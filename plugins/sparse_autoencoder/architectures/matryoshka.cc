// Matryoshka SAE (Bussmann et al. 2025, "Learning Multi-Level Features with
// Matryoshka Sparse Autoencoders"): BatchTopK codes, and a loss that sums the
// reconstruction error of every nested prefix of the dictionary, so the
// first features must reconstruct well on their own and general features
// are not absorbed into specific ones. Saved as JumpReLU, like BatchTopK.
//
// Like SAELens' MatryoshkaBatchTopKTrainingSAE, each prefix term has weight
// one and AuxK reconstructs the whole dictionary's residual (SAELens'
// use_matryoshka_aux_loss = false). Where ours differs: each term is a mean
// over elements (our shared MSE), where SAELens sums over d_in and averages
// over rows, so every term is 1/d_in of SAELens' and AuxK's weight relative
// to them is as in our TopK.
#include <algorithm>

#include "architectures/architectures.h"
#include "architectures/batch_top_k_family.h"
#include "batch_top_k_options.h"
#include "dictlab/errors.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

class Matryoshka final : public BatchTopKFamily {
 public:
  // `prefixes` increasing, the last one d_sae.
  Matryoshka(BatchTopKSelection selection, AuxK aux, RunningThreshold threshold, std::vector<std::int64_t> prefixes)
      : BatchTopKFamily(selection, aux, threshold), prefixes_(std::move(prefixes)) {}

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    std::vector<SparseCodes> codes = select(sae, centered, dead, ws);
    const torch::Tensor target = centered.neg();  // the error of an empty reconstruction
    const Reconstruction r = reconstruct(sae, std::move(centered), codes[0]);
    StepLoss result = step_loss(sae, r, codes[0]);
    std::vector<Term> terms = {r.term(codes[0])};
    torch::Tensor error_gradient_sum = r.error.sum(0) * r.scale;

    // The inner prefixes, each with its own codes, error rows and MSE.
    const torch::Tensor w_dec = sae.W_dec.contiguous();
    std::vector<SparseCodes> inner(prefixes_.size() - 1);
    std::vector<torch::Tensor> inner_error(inner.size());
    for (std::size_t m = 0; m < inner.size(); ++m) {
      inner[m] = codes[0].prefix(static_cast<std::int32_t>(prefixes_[m]));
      inner_error[m] = torch::empty_like(target);
      const double squared = decode_errors(inner[m], w_dec, target.data_ptr<float>(),
                                           inner_error[m].data_ptr<float>(), r.scale);
      result.loss += squared / static_cast<double>(target.numel());
      terms.push_back({&inner[m], inner_error[m].data_ptr<float>(), r.scale});
      error_gradient_sum += inner_error[m].sum(0) * r.scale;
    }
    torch::Tensor aux_error;
    if (codes.size() > 1) result.loss += aux().add_term(sae, r, codes[1], aux_error, terms, ws);
    const torch::Tensor b_enc_grad = backpropagate(sae, terms, r.centered, ws);
    set_decoder_bias_gradient(sae, error_gradient_sum, b_enc_grad);
    return result;
  }

  // The inner prefixes' MSEs.
  torch::Tensor with_own_terms(const Sae& sae, const torch::Tensor& x, const StepCodes& codes,
                               torch::Tensor loss) const override {
    for (std::size_t m = 0; m + 1 < prefixes_.size(); ++m)
      loss = loss + (dense_reconstruction(sae, codes.first(prefixes_[m])) - x).pow(2).mean();
    return loss;
  }

 private:
  std::vector<std::int64_t> prefixes_;
};

// The prefix sizes, d_sae appended when the list stops short of it; an empty
// list halves d_sae four times (d_sae/16, /8, /4, /2, d_sae).
std::vector<std::int64_t> prefixes_from_options(const dictlab::Options& options) {
  const std::int64_t d_sae = options.get_int("d_sae");
  std::vector<std::int64_t> prefixes = options.get_ints("prefixes");
  if (prefixes.empty())
    for (std::int64_t divisor : {16, 8, 4, 2})
      if (d_sae / divisor > 0 && (prefixes.empty() || prefixes.back() < d_sae / divisor))
        prefixes.push_back(d_sae / divisor);
  for (std::size_t m = 0; m < prefixes.size(); ++m) {
    if (prefixes[m] <= 0 || prefixes[m] > d_sae)
      throw dictlab::OptionError("prefixes", "each prefix size must be between 1 and d_sae (" +
                                                 std::to_string(d_sae) + "), got " + std::to_string(prefixes[m]));
    if (m > 0 && prefixes[m] <= prefixes[m - 1])
      throw dictlab::OptionError("prefixes", "prefix sizes must be strictly increasing");
  }
  if (prefixes.empty() || prefixes.back() < d_sae) prefixes.push_back(d_sae);
  return prefixes;
}

}  // namespace

std::shared_ptr<Architecture> matryoshka_from_options(const dictlab::Options& options) {
  return std::make_shared<Matryoshka>(batch_top_k_selection(options), AuxK::from_options(options),
                                      running_threshold(options), prefixes_from_options(options));
}

}  // namespace sparse_autoencoder
