#pragma once

#include <chrono>
#include <cstdint>

#include "architecture.h"
#include "dictlab/collectives.h"
#include "dictlab/run_context.h"
#include "trainer.h"

namespace sparse_autoencoder {

// The trainer's gauges and its log line every log_interval steps: the last
// step's figures, the throughput over the interval, and in a distributed run
// the share of the interval spent in the all-reduce, the gradient bytes
// each rank contributes to it, and how many of them were not zero.
class TrainingLog {
 public:
  TrainingLog(dictlab::RunContext& context, const TrainerOptions& options, dictlab::Collectives& ranks);

  // A distributed step's all-reduce: its time, the gradient bytes this rank
  // sent into it, and the share of features that fired in this rank's rows
  // (the rows of W_dec and columns of W_enc whose gradient is not zero, so
  // the share of those bytes sparse gradients would send).
  void add_reduce(double seconds, std::int64_t gradient_bytes, double fired_share);
  // After the step that makes `done` steps; fills `summary` at each line.
  void step_done(std::int64_t done, const StepLoss& result, const torch::Tensor& dead, TrainingSummary& summary);
  double seconds_training() const { return seconds_training_; }

 private:
  using Clock = std::chrono::steady_clock;
  dictlab::RunContext& context_;
  const TrainerOptions& options_;
  dictlab::Collectives& ranks_;
  dictlab::Gauge& mse_;
  dictlab::Gauge& l0_;
  dictlab::Gauge& dead_;
  dictlab::Gauge& rate_;
  dictlab::Counter& seen_;
  Clock::time_point window_start_ = Clock::now();
  std::int64_t window_steps_ = 0;
  double window_reduce_seconds_ = 0;
  std::int64_t gradient_bytes_ = 0;
  double fired_share_ = 0;
  double seconds_training_ = 0;
};

}  // namespace sparse_autoencoder
