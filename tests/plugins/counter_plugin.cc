// Test-only evaluator: counts to `steps`, sleeping between steps and saving a
// checkpoint after each, so tests can watch it in Prometheus, kill it, resume
// it, and make it fail on purpose.
#include <chrono>
#include <fstream>
#include <thread>

#include "dictlab/sdk.h"

namespace {

using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "test_counter",
          .version = "1.0.0",
          .summary = "Counts slowly with checkpoints (for dictlab's own tests).",
          .options = {
              {"steps", OptionType::kInt, "Steps to count.", std::int64_t{10}},
              {"step_seconds", OptionType::kFloat, "Sleep per step.", 0.0},
              {"fail_at_step", OptionType::kInt, "Throw at this step; -1 never.", std::int64_t{-1}},
              {"label", OptionType::kString, "Free text, to change the config.", std::string()},
          }};
}

class Counter : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t steps = options.get_int("steps");
    if (steps < 0) throw dictlab::OptionError("steps", "must not be negative");
    const auto checkpoint = context.checkpoint_dir() / "step.txt";
    std::int64_t start = 0;
    if (std::ifstream in(checkpoint); in) in >> start;
    const std::int64_t resumed_from = start;

    auto& counted = context.metrics().counter("test_counter_steps_total", "Steps counted.");
    context.progress().set_total(static_cast<double>(steps));
    for (std::int64_t step = start; step < steps; ++step) {
      if (context.stop_requested()) return {};
      if (step == options.get_int("fail_at_step")) throw dictlab::PluginError("failing at step " + std::to_string(step) + " as asked");
      std::this_thread::sleep_for(std::chrono::duration<double>(options.get_float("step_seconds")));
      // The artifact grows step by step, so a kill can land mid-write.
      dictlab::AtomicFile::write_all(context.stage_dir() / "count.txt", std::to_string(step + 1) + "\n");
      dictlab::AtomicFile::write_all(checkpoint, std::to_string(step + 1));
      counted.increment();
      context.progress().set_done(static_cast<double>(step + 1));
    }
    return {{{"test_counter_resumed_from_step", static_cast<double>(resumed_from), {}, "Checkpoint step."},
             {"test_counter_final_step", static_cast<double>(steps), {}, "Steps counted in all."}}};
  }
};

}  // namespace

DICTLAB_PLUGIN(Counter, describe)
