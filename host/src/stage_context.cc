#include "stage_context.h"

#include <cstdio>
#include <iostream>

#include "manifest.h"
#include "stop_signal.h"

namespace dictlab::host {

void StageProgress::set_total(double items) {
  total_items_ = items;
  total_.set(items);
}

void StageProgress::set_done(double items) {
  done_.set(items);
  if (total_items_ > 0) ratio_.set(items / total_items_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ < std::chrono::seconds(5)) return;
  last_print_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  if (total_items_ > 0)
    std::fprintf(stderr, "[%s] %.0f/%.0f (%.1f%%) after %.1f s\n", stage_.c_str(), items, total_items_,
                 100.0 * items / total_items_, seconds);
  else
    std::fprintf(stderr, "[%s] %.0f after %.1f s\n", stage_.c_str(), items, seconds);
}

void StageLogger::info(std::string_view message) { std::cerr << "[" << stage_ << "] " << message << "\n"; }
void StageLogger::warn(std::string_view message) {
  std::cerr << "[" << stage_ << "] warning: " << message << "\n";
}

StageContext::StageContext(StageContextParts parts, MetricsRegistry& registry, const std::string& plugin)
    : parts_(std::move(parts)),
      checkpoint_dir_(parts_.checkpoint_dir.empty() ? parts_.stage_dir / kCheckpointDir : parts_.checkpoint_dir),
      metrics_(registry, {{"experiment", parts_.experiment}, {"stage", parts_.stage}, {"plugin", plugin}}),
      progress_(parts_.stage,
                metrics_.gauge("stage_items_done", "Items the stage has processed.", {}),
                metrics_.gauge("stage_items_expected", "Items the stage expects to process (0 if unknown).", {}),
                metrics_.gauge("stage_progress_ratio", "Fraction of the stage done, 0 to 1.", {})),
      logger_(parts_.rank > 0 ? parts_.stage + " rank " + std::to_string(parts_.rank) : parts_.stage) {
  std::filesystem::create_directories(checkpoint_dir_);
}

// A stop another rank received counts here too once the ranks agreed on it.
bool StageContext::stop_requested() const {
  return host::stop_requested() || (parts_.ranks && parts_.ranks->stop_agreed());
}

}  // namespace dictlab::host
