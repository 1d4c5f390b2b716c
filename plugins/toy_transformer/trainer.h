#pragma once

#include <cstdint>

#include "dictlab/run_context.h"
#include "dictlab/token_shards.h"
#include "training_options.h"
#include "transformer.h"

namespace toy_transformer {

struct TrainingResult {
  std::int64_t steps = 0;
  std::int64_t resumed_from_step = 0;
  double train_loss = 0;
  double eval_loss = 0;
  double tokens_per_second = 0;
};

std::unique_ptr<torch::optim::AdamW> make_optimizer(Transformer& model, const TrainingOptions& options);

// zero_grad, forward, backward, clip, AdamW step. A non-finite loss leaves
// the weights untouched (no backward, no step).
void training_step(Transformer& model, torch::optim::Optimizer& optimizer, const torch::Tensor& batch,
                   double grad_clip, double& loss_value);

// AdamW with warmup and cosine decay, gradient clipping, periodic held-out
// evaluation and checkpoints; resumes from the newest intact checkpoint with
// the same result as an uninterrupted run.
TrainingResult train_transformer(Transformer& model, const TrainingOptions& options, dictlab::RunContext& context,
                                 const dictlab::TokenShard& train, const dictlab::TokenShard& heldout);

// Mean held-out loss over the evaluation windows (the same every call).
double evaluate(const Transformer& model, const dictlab::TokenShard& heldout, std::int64_t batches,
                std::int64_t batch_size, const torch::Device& device);

}  // namespace toy_transformer
