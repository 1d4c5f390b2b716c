#pragma once

#include <string>
#include <vector>

#include "dictlab/errors.h"

namespace dictlab {
class Collectives;
}

namespace dictlab::host {

// The processes of one `dictlab run`: a key-value store through which rank
// 0 tells the others what it decided and what each stage did, and the
// collectives that data-parallel plugins use. A single process is a group of
// one. The host itself never computes with tensors: the collectives are
// torch.distributed's, in a module loaded only for distributed runs (so a
// single process keeps LibTorch and its libraries out of the host).
class RankGroup {
 public:
  virtual ~RankGroup() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  bool leader() const { return rank() == 0; }
  // What a data-parallel plugin gets; null for a single process (the SDK's
  // dictlab::collectives_of then gives it a group of one).
  virtual Collectives* collectives() = 0;
  // Whether a data-parallel plugin's ranks agreed to stop (Collectives::
  // any_stop or agree_stop): true on every rank, not only where Ctrl-C or
  // SIGTERM arrived, so every rank ends the stage as stopped.
  virtual bool stop_agreed() const = 0;

  // Rank 0 publishes, the others wait for the value: as long as rank 0 is
  // alive, without a time limit (a stage rank 0 runs alone may take hours),
  // and with an error naming rank 0 once it is gone.
  virtual void publish(const std::string& key, const std::string& value) = 0;
  virtual std::string await(const std::string& key) = 0;
  // Every rank's value of `key`, in rank order (every rank calls it, and
  // waits at most the collective timeout for the others).
  virtual std::vector<std::string> exchange(const std::string& key, const std::string& value) = 0;
};

// The group of one process.
class SingleRank final : public RankGroup {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  Collectives* collectives() override { return nullptr; }
  bool stop_agreed() const override { return false; }
  void publish(const std::string&, const std::string&) override {}
  std::string await(const std::string& key) override {
    throw PluginError("a single process has no rank 0 to publish " + key);
  }
  std::vector<std::string> exchange(const std::string&, const std::string& value) override { return {value}; }
};

}  // namespace dictlab::host
