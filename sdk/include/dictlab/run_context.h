#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/errors.h"
#include "dictlab/metrics.h"
#include "dictlab/options.h"

namespace dictlab {

class Collectives;
class Plugin;

// An earlier stage this stage reads, as listed in its `inputs`.
struct StageInput {
  std::string stage;
  std::string plugin;
  PluginKind kind;
  std::filesystem::path dir;  // that stage's finished artifacts
};

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void set_total(double items) = 0;
  virtual void set_done(double items) = 0;
};

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void info(std::string_view message) = 0;
  virtual void warn(std::string_view message) = 0;
};

class RunContext;

// Another stage trained in the same pass as this one (see
// PluginDescriptor::pass_family): its plugin's name and its own context, with
// its options, stage folder, checkpoints and metrics.
struct PassMember {
  std::string plugin;
  RunContext* context;
};

// Everything the host gives a plugin while it runs one stage.
class RunContext {
 public:
  virtual ~RunContext() = default;

  virtual const std::string& experiment() const = 0;
  virtual const std::string& stage() const = 0;
  // Where this stage writes its artifacts; write them with AtomicFile so a
  // kill never leaves a half-written file under its final name.
  virtual const std::filesystem::path& stage_dir() const = 0;
  // Kept across a kill so the stage can resume; emptied when the stage's
  // configuration or inputs change.
  virtual const std::filesystem::path& checkpoint_dir() const = 0;
  virtual const std::vector<StageInput>& inputs() const = 0;
  virtual const Options& options() const = 0;
  virtual Metrics& metrics() = 0;
  virtual Progress& progress() = 0;
  virtual Logger& log() = 0;
  // "cpu", "cuda", "cuda:1"... as the experiment asks.
  virtual const std::string& device() const = 0;
  virtual std::uint64_t seed() const = 0;
  // True after Ctrl-C or SIGTERM: save a checkpoint and return; the host
  // then leaves the stage unfinished so the next run resumes it.
  virtual bool stop_requested() const = 0;
  // The ranks of a data-parallel run (dictlab/collectives.h), or null when
  // this stage runs in one process; dictlab::collectives_of(context) gives
  // either. Only plugins whose descriptor says data_parallel run on every
  // rank; the others run on rank 0 alone.
  virtual Collectives* collectives() = 0;

  // A new instance of the plugin that ran an input stage (its library stays
  // loaded while the pointer lives), e.g. to load a trained model from it.
  virtual std::shared_ptr<Plugin> open_plugin(const StageInput& input) = 0;

  // The other stages of this stage's `one_pass` group that this call trains
  // too, in file order (empty when the stage runs alone). They share this
  // stage's inputs and seed; each writes into its own stage_dir().
  virtual std::vector<PassMember> pass_members() { return {}; }

  // The input of the given kind; throws PluginError naming what is missing.
  const StageInput& input(PluginKind kind) const {
    for (const auto& in : inputs())
      if (in.kind == kind) return in;
    throw PluginError("stage '" + stage() + "' needs an input stage of kind " + to_string(kind) +
                      " (add its name to `inputs`)");
  }
};

}  // namespace dictlab
