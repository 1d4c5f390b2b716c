#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "activation_source.h"
#include "dictlab/run_context.h"
#include "sae.h"
#include "sparse_kernels.h"

namespace sparse_autoencoder {

struct TrainerOptions {
  std::int64_t steps = 2000;
  std::int64_t batch_size = 4096;
  double learning_rate = 4e-4;
  std::vector<std::int64_t> resample_steps;  // the paper's dead-feature resampling (sae_l1)
  std::int64_t resample_window = 500;     // silent for this many steps = dead, for resampling
  std::int64_t dead_steps = 500;          // silent this long = dead, for AuxK and the dead fraction
  std::int64_t checkpoint_interval = 500;
  std::int64_t log_interval = 100;
  std::int64_t init_rows = 8192;          // activations for the scale, the geometric median, resampling
  bool normalize_activations = true;
  bool sparse_kernels = true;             // false: dense autograd (the reference)
  bool fit_encoder_init = false;          // scale the initial encoder so the first reconstruction fits
};

struct TrainingSummary {
  double mse = 0;                 // last logged, in the scaled space
  double l0 = 0;
  double dead_fraction = 0;
  std::int64_t resampled = 0;
  std::int64_t resumed_from_step = 0;
  double activations_per_second = 0;
  // The steps this run took by each way of computing them ("sparse",
  // "dense", "indexed": StepKernels), so that a user sees what trained.
  std::map<std::string, std::int64_t> steps_by_kernels;
};

// One dictionary's training, a step at a time on batches its caller draws,
// so that several dictionaries can share one pass over the activations
// (train_together). Construction initialises (scale, geometric-median
// decoder bias, unit-norm decoder) and resumes from the stage's newest
// intact checkpoint; Adam updates.
class SaeTraining {
 public:
  SaeTraining(Sae& sae, const TrainerOptions& options, ActivationSource& source, dictlab::RunContext& context);
  ~SaeTraining();
  SaeTraining(const SaeTraining&) = delete;
  SaeTraining& operator=(const SaeTraining&) = delete;

  std::int64_t first_step() const;  // the step it resumes at (0: from the start)
  std::int64_t steps() const;       // its last step + 1
  // Trains step `step` on `batch`, the whole global batch as the source gave
  // it (each rank takes its share). In a distributed run, returns whether the
  // ranks agreed to stop after it; false in one process.
  bool train_step(std::int64_t step, const torch::Tensor& batch);
  // Stopped before `step`: a checkpoint there, unless the last one is.
  void stop_at(std::int64_t step);
  TrainingSummary summary() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Trains every dictionary on the same batches: step s draws source.batch(s)
// once for all of them. Each resumes from its own checkpoint and ends at its
// own steps. Returns false when the run was asked to stop (each saved a
// checkpoint).
bool train_together(const std::vector<SaeTraining*>& trainings, ActivationSource& source,
                    dictlab::RunContext& context);

// How a step computes its loss and gradients: the CPU's sparse kernels,
// dense autograd (the reference), or autograd with codes held by index (what
// trains off the CPU; step_codes.h).
enum class StepKernels { kSparse, kDense, kIndexed };
const char* name_of(StepKernels kernels);

// One batch's loss and gradients, with W_dec's gradient projected as the
// optimiser needs it.
StepLoss loss_and_gradients(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, StepKernels kernels,
                            SparseStepWorkspace& workspace);

// The paper's resampling: features dead for options.resample_window steps
// get inputs the SAE reconstructs worst (drawn ∝ loss²) as their directions.
std::int64_t resample_dead_features(Sae& sae, torch::optim::Adam& optimizer, torch::Tensor& last_fired,
                                    std::int64_t step, const TrainerOptions& options, ActivationSource& source,
                                    dictlab::Logger& log);

}  // namespace sparse_autoencoder
