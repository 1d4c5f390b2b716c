// BatchTopK (Bussmann et al. 2024): the B·k largest pre-activations of a
// batch of B activations, so each activation gets as many codes as it needs
// and k only on average; AuxK lets dead latents learn. At inference there is
// no batch: a running threshold θ (batch_top_k.h) stands in for the cut,
// and the dictionary is saved and used as the JumpReLU it then is.
#include "architectures/architectures.h"
#include "architectures/batch_top_k_family.h"
#include "batch_top_k_options.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

class BatchTopK final : public BatchTopKFamily {
 public:
  using BatchTopKFamily::BatchTopKFamily;

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    std::vector<SparseCodes> codes = select(sae, centered, dead, ws);
    const Reconstruction r = reconstruct(sae, std::move(centered), codes[0]);
    StepLoss result = step_loss(sae, r, codes[0]);
    std::vector<Term> terms = {r.term(codes[0])};
    torch::Tensor aux_error;
    if (codes.size() > 1) result.loss += aux().add_term(sae, r, codes[1], aux_error, terms, ws);
    const torch::Tensor b_enc_grad = backpropagate(sae, terms, r.centered, ws);
    set_decoder_bias_gradient(sae, r.error.sum(0) * r.scale, b_enc_grad);
    return result;
  }
};

}  // namespace

std::shared_ptr<Architecture> batch_topk_from_options(const dictlab::Options& options) {
  return std::make_shared<BatchTopK>(batch_top_k_selection(options), AuxK::from_options(options),
                                     running_threshold(options));
}

}  // namespace sparse_autoencoder
