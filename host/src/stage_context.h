#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dictlab/run_context.h"
#include "metrics_registry.h"
#include "rank_group.h"

namespace dictlab::host {

// Writes progress to the stage's gauges and, at most every few seconds, a
// line to stderr.
class StageProgress : public Progress {
 public:
  StageProgress(std::string stage, Gauge& done, Gauge& total, Gauge& ratio)
      : stage_(std::move(stage)), done_(done), total_(total), ratio_(ratio) {}
  void set_total(double items) override;
  void set_done(double items) override;

 private:
  std::string stage_;
  Gauge& done_;
  Gauge& total_;
  Gauge& ratio_;
  double total_items_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_print_ = started_;  // first line after 5 s
};

class StageLogger : public Logger {
 public:
  explicit StageLogger(std::string stage) : stage_(std::move(stage)) {}
  void info(std::string_view message) override;
  void warn(std::string_view message) override;

 private:
  std::string stage_;
};

// Makes a fresh instance of the plugin that ran an input stage.
using PluginOpener = std::function<std::shared_ptr<Plugin>(const StageInput&)>;

struct StageContextParts {
  std::string experiment;
  std::string stage;
  std::filesystem::path stage_dir;
  std::vector<StageInput> inputs;
  Options options;
  std::string device;
  std::uint64_t seed = 0;
  PluginOpener open_plugin;
  std::filesystem::path checkpoint_dir;  // the stage's (rank 0's) even when stage_dir is a scratch folder
  int rank = 0;
  RankGroup* ranks = nullptr;  // the ranks running a data-parallel stage; null: the stage runs in one process
};

class StageContext : public RunContext {
 public:
  StageContext(StageContextParts parts, MetricsRegistry& registry, const std::string& plugin);

  const std::string& experiment() const override { return parts_.experiment; }
  const std::string& stage() const override { return parts_.stage; }
  const std::filesystem::path& stage_dir() const override { return parts_.stage_dir; }
  const std::filesystem::path& checkpoint_dir() const override { return checkpoint_dir_; }
  const std::vector<StageInput>& inputs() const override { return parts_.inputs; }
  const Options& options() const override { return parts_.options; }
  Metrics& metrics() override { return metrics_; }
  Progress& progress() override { return progress_; }
  Logger& log() override { return logger_; }
  const std::string& device() const override { return parts_.device; }
  std::uint64_t seed() const override { return parts_.seed; }
  bool stop_requested() const override;
  std::shared_ptr<Plugin> open_plugin(const StageInput& input) override { return parts_.open_plugin(input); }
  Collectives* collectives() override { return parts_.ranks ? parts_.ranks->collectives() : nullptr; }
  std::vector<PassMember> pass_members() override { return pass_members_; }
  // The other stages this stage's plugin trains in the same pass.
  void set_pass_members(std::vector<PassMember> members) { pass_members_ = std::move(members); }

 private:
  StageContextParts parts_;
  std::filesystem::path checkpoint_dir_;
  StageMetrics metrics_;
  StageProgress progress_;
  StageLogger logger_;
  std::vector<PassMember> pass_members_;
};

}  // namespace dictlab::host
