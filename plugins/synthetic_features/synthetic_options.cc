#include "synthetic_options.h"

namespace synthetic {

using dictlab::OptionSpec;
using dictlab::OptionType;

std::vector<dictlab::OptionSpec> config_options() {
  const SyntheticConfig d;  // SynthSAEBench-16k
  return {
      OptionSpec{"num_features", OptionType::kInt, "True features.", d.num_features}.at_least(1),
      OptionSpec{"hidden_dim", OptionType::kInt, "Width of the activations.", d.hidden_dim}.at_least(1),
      OptionSpec{"zipf_exponent", OptionType::kFloat, "Zipf exponent of the firing probabilities.", d.zipf_exponent}
          .above(0.0),
      // min_prob < max_prob, which relates the two, is checked by validate().
      OptionSpec{"max_prob", OptionType::kFloat, "Firing probability of the most frequent feature.", d.max_prob}
          .above(0.0)
          .at_most(1.0),
      OptionSpec{"min_prob", OptionType::kFloat, "Firing probability of the rarest feature.", d.min_prob}
          .above(0.0)
          .below(1.0),
      OptionSpec{"magnitude_mean_start", OptionType::kFloat, "Mean magnitude of the most frequent feature.",
                 d.magnitude_mean_start}
          .above(0.0),
      OptionSpec{"magnitude_mean_end", OptionType::kFloat, "Mean magnitude of the rarest feature (linear between).",
                 d.magnitude_mean_end}
          .above(0.0),
      {"magnitude_std_mean", OptionType::kFloat, "Per-feature magnitude std is |N(this, magnitude_std_std²)|.",
       d.magnitude_std_mean},
      OptionSpec{"magnitude_std_std", OptionType::kFloat, "See magnitude_std_mean.", d.magnitude_std_std}.at_least(0.0),
      OptionSpec{"root_nodes", OptionType::kInt, "Roots of the feature forest (0: no hierarchy).", d.root_nodes}
          .at_least(0),
      // branching and max_depth matter only with roots: validate() checks them then.
      {"branching", OptionType::kInt, "Children of each non-leaf feature.", d.branching},
      {"max_depth", OptionType::kInt, "Depth of the leaves (roots are depth 0).", d.max_depth},
      OptionSpec{"mutually_exclusive_portion", OptionType::kFloat,
                 "Portion of parents whose children are mutually exclusive.", d.mutually_exclusive_portion}
          .between(0.0, 1.0),
      {"mutually_exclusive_min_depth", OptionType::kInt, "Shallowest parent that may have exclusive children.",
       d.mutually_exclusive_min_depth},
      {"compensate_probabilities", OptionType::kBool,
       "Raise children's probabilities so that each fires at its Zipf rate.", d.compensate_probabilities},
      {"scale_children_by_parent", OptionType::kBool,
       "Scale a child's magnitude by its parent's value / parent's mean.", d.scale_children_by_parent},
      OptionSpec{"correlation_rank", OptionType::kInt, "Rank of the firing correlation (0: independent).",
                 d.correlation_rank}
          .at_least(0),
      OptionSpec{"correlation_scale", OptionType::kFloat, "Scale of the correlation factor's entries.",
                 d.correlation_scale}
          .at_least(0.0),
      OptionSpec{"orthogonalize_steps", OptionType::kInt,
                 "Adam steps pushing true directions apart (0: random unit vectors).", d.orthogonalize_steps}
          .at_least(0),
      {"orthogonalize_lr", OptionType::kFloat, "Learning rate of those steps.", d.orthogonalize_lr},
      OptionSpec{"bias_norm", OptionType::kFloat, "Norm of a fixed random offset added to every activation.",
                 d.bias_norm}
          .at_least(0.0),
  };
}

SyntheticConfig config_from_options(const dictlab::Options& o) {
  SyntheticConfig c;
  c.num_features = o.get_int("num_features");
  c.hidden_dim = o.get_int("hidden_dim");
  c.zipf_exponent = o.get_float("zipf_exponent");
  c.max_prob = o.get_float("max_prob");
  c.min_prob = o.get_float("min_prob");
  c.magnitude_mean_start = o.get_float("magnitude_mean_start");
  c.magnitude_mean_end = o.get_float("magnitude_mean_end");
  c.magnitude_std_mean = o.get_float("magnitude_std_mean");
  c.magnitude_std_std = o.get_float("magnitude_std_std");
  c.root_nodes = o.get_int("root_nodes");
  c.branching = o.get_int("branching");
  c.max_depth = o.get_int("max_depth");
  c.mutually_exclusive_portion = o.get_float("mutually_exclusive_portion");
  c.mutually_exclusive_min_depth = o.get_int("mutually_exclusive_min_depth");
  c.compensate_probabilities = o.get_bool("compensate_probabilities");
  c.scale_children_by_parent = o.get_bool("scale_children_by_parent");
  c.correlation_rank = o.get_int("correlation_rank");
  c.correlation_scale = o.get_float("correlation_scale");
  c.orthogonalize_steps = o.get_int("orthogonalize_steps");
  c.orthogonalize_lr = o.get_float("orthogonalize_lr");
  c.bias_norm = o.get_float("bias_norm");
  validate(c);
  return c;
}

}  // namespace synthetic
