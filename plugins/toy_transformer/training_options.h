#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dictlab/options.h"

namespace toy_transformer {

struct TrainingOptions {
  std::int64_t batch_size = 32;
  std::int64_t steps = 2000;
  double learning_rate = 1e-3;
  double min_learning_rate_ratio = 0.1;
  std::int64_t warmup_steps = 100;
  double weight_decay = 0.05;
  double grad_clip = 1.0;
  std::int64_t eval_interval = 200;
  std::int64_t eval_batches = 16;
  std::int64_t checkpoint_interval = 200;
  std::vector<std::string> sample_prompts;
  std::int64_t sample_tokens = 48;

  static TrainingOptions from(const dictlab::Options& o) {
    TrainingOptions t;
    t.batch_size = o.get_int("batch_size");
    t.steps = o.get_int("steps");
    t.learning_rate = o.get_float("learning_rate");
    t.min_learning_rate_ratio = o.get_float("min_learning_rate_ratio");
    t.warmup_steps = o.get_int("warmup_steps");
    t.weight_decay = o.get_float("weight_decay");
    t.grad_clip = o.get_float("grad_clip");
    t.eval_interval = o.get_int("eval_interval");
    t.eval_batches = o.get_int("eval_batches");
    t.checkpoint_interval = o.get_int("checkpoint_interval");
    t.sample_prompts = o.get_strings("sample_prompts");
    t.sample_tokens = o.get_int("sample_tokens");
    return t;
  }

  // Linear warmup, then cosine decay to min_learning_rate_ratio at the end.
  double learning_rate_at(std::int64_t step) const;
};

}  // namespace toy_transformer
