#pragma once

// The ranks of a data-parallel run, as a plugin sees them. The host joins
// them through torch.distributed (a TCPStore and a Gloo process group) when
// `dictlab run` starts under torchrun, srun or a PyTorchJob (WORLD_SIZE,
// RANK, MASTER_ADDR, MASTER_PORT); otherwise there is one rank and every
// collective returns its input. Every rank of a stage calls the same
// collectives in the same order with tensors of the same shapes; a rank that
// never arrives makes the others fail within the experiment's
// collective_timeout, with an error that names it.

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dictlab/errors.h"
#include "dictlab/run_context.h"

namespace dictlab {

class Collectives {
 public:
  virtual ~Collectives() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;

  // Element-wise over ranks, in place.
  virtual void sum(std::vector<torch::Tensor>& tensors) = 0;
  virtual void max(std::vector<torch::Tensor>& tensors) = 0;
  virtual void min(std::vector<torch::Tensor>& tensors) = 0;
  // Every rank's tensors become rank `root`'s.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  // Every rank's `tensor` (the same shape on every rank), in rank order.
  virtual std::vector<torch::Tensor> all_gather(const torch::Tensor& tensor) = 0;
  // The same, on rank `root` only (the others get nothing back): what one
  // rank writes of what all computed.
  virtual std::vector<torch::Tensor> gather(const torch::Tensor& tensor, int root) = 0;

  // Rank 0 writes artifacts and checkpoints; the others compute and read.
  bool leader() const { return rank() == 0; }

  // Whether this rank takes the `index`-th of a stage's work items (every
  // world_size-th, from its rank): how evaluators split held-out batches.
  bool takes(std::int64_t index) const { return index % world_size() == rank(); }

  // Whether any rank was asked to stop, so that all stop at the same item.
  // A collective: every rank calls it at the same points.
  bool any_stop(bool stop_here) {
    const bool stop = world_size() == 1 ? stop_here : sum(stop_here ? 1.0 : 0.0) > 0;
    if (stop) agree_stop();
    return stop;
  }
  // A stop the ranks agreed on (any_stop does this; a plugin that reduces
  // its own stop flag calls it): the host then treats the stage as stopped
  // on every rank, not only on the one the signal reached, so rank 0 never
  // records a stage that stopped early as finished.
  void agree_stop() { stop_agreed_ = true; }
  bool stop_agreed() const { return stop_agreed_; }

  // This rank's rows of a batch of `batch_size`, split in rank order, the
  // first `batch_size % world_size` ranks taking one more.
  struct BatchShard {
    std::int64_t begin = 0, rows = 0;
    double share = 1;  // of the batch's rows: what this rank's mean loss and gradients weigh
    torch::Tensor of(const torch::Tensor& batch) const {
      return rows == batch.size(0) ? batch : batch.narrow(0, begin, rows);
    }
  };
  // Throws OptionError on `batch_size` when a rank would get no rows.
  BatchShard shard(std::int64_t batch_size) const {
    const std::int64_t world = world_size(), r = rank();
    if (batch_size < world)
      throw OptionError("batch_size", "must be at least the number of ranks (" + std::to_string(world) + ")");
    const std::int64_t base = batch_size / world, extra = batch_size % world;
    BatchShard shard;
    shard.begin = r * base + std::min(r, extra);
    shard.rows = base + (r < extra ? 1 : 0);
    shard.share = static_cast<double>(shard.rows) / static_cast<double>(batch_size);
    return shard;
  }

  // The gradients of `parameters` (zeros where there is none yet), each
  // multiplied by this rank's `share`: summed over ranks they are the
  // gradient of the whole batch's mean loss. Sum them with whatever else the
  // step reduces, in one collective.
  static std::vector<torch::Tensor> weighted_gradients(const std::vector<torch::Tensor>& parameters, double share) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> gradients;
    for (torch::Tensor parameter : parameters) {
      torch::Tensor& gradient = parameter.mutable_grad();
      if (!gradient.defined()) gradient = torch::zeros_like(parameter);
      gradients.push_back(gradient.mul_(share));
    }
    return gradients;
  }

  // Every rank's 1-D tensor, whatever its length, concatenated in rank order.
  torch::Tensor concatenate(const torch::Tensor& values) {
    if (world_size() == 1) return values;
    const auto lengths = all_gather(torch::full({1}, values.numel(), torch::kLong));
    std::int64_t longest = 0;
    for (const auto& length : lengths) longest = std::max(longest, length.item<std::int64_t>());
    torch::Tensor padded = torch::zeros({longest}, values.options());
    padded.narrow(0, 0, values.numel()).copy_(values.reshape({-1}));
    const auto gathered = all_gather(padded);
    std::vector<torch::Tensor> parts;
    for (std::size_t r = 0; r < gathered.size(); ++r)
      parts.push_back(gathered[r].narrow(0, 0, lengths[r].item<std::int64_t>()));
    return torch::cat(parts);
  }

  // A number summed over ranks.
  double sum(double value) {
    if (world_size() == 1) return value;
    std::vector<torch::Tensor> one = {torch::full({1}, value, torch::kDouble)};
    sum(one);
    return one[0].item<double>();
  }

 private:
  bool stop_agreed_ = false;
};

// One process: every collective is the identity.
class SingleProcess final : public Collectives {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void sum(std::vector<torch::Tensor>&) override {}
  void max(std::vector<torch::Tensor>&) override {}
  void min(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  std::vector<torch::Tensor> all_gather(const torch::Tensor& tensor) override { return {tensor}; }
  std::vector<torch::Tensor> gather(const torch::Tensor& tensor, int) override { return {tensor}; }
  using Collectives::sum;
};

// The stage's ranks, or a group of one when it runs in one process.
inline Collectives& collectives_of(RunContext& context) {
  static SingleProcess alone;
  Collectives* ranks = context.collectives();
  return ranks ? *ranks : alone;
}

}  // namespace dictlab
