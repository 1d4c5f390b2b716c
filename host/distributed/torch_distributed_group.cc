// torch.distributed for `dictlab run`'s ranks (see join_ranks.h): built as
// its own module so that only a distributed run loads LibTorch into the host.
#include "dictlab/collectives.h"
#include "launch_environment.h"
#include "rank_group.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace dictlab::host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kHeartbeatInterval = std::chrono::milliseconds(500);

std::string text_of(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }
std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Gloo binds the interface the other ranks reach: loopback for a run on one
// machine, GLOO_SOCKET_IFNAME when the user names one (as with PyTorch),
// else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_address) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (master_address == "localhost" || master_address.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

class TorchDistributedGroup final : public RankGroup, public Collectives {
 public:
  TorchDistributedGroup(const LaunchEnvironment& env, std::chrono::milliseconds timeout)
      : env_(env), timeout_(timeout) {}
  ~TorchDistributedGroup() override {
    beating_ = false;
    if (heartbeat_.joinable()) heartbeat_.join();
  }

  // The store, every rank's arrival in it, then the Gloo mesh.
  void join() {
    c10d::TCPStoreOptions options;
    options.port = env_.master_port;
    options.isServer = env_.rank == 0;
    options.waitWorkers = false;
    options.timeout = timeout_;
    try {
      server_ = c10::make_intrusive<c10d::TCPStore>(env_.master_address, options);
    } catch (const std::exception& error) {
      throw PluginError(where() + (env_.rank == 0 ? ": cannot serve the store at " : ": cannot reach rank 0's store at ") +
                        store_address() + " within " + timeout_text() + ": " + first_line(error.what()));
    }
    store_ = c10::make_intrusive<c10d::PrefixStore>("dictlab", server_);
    start_heartbeat(options);
    exchange("joined", hostname());
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout_);
    gloo_options->devices.push_back(gloo_device(env_.master_address));
    try {
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", server_),
                                                           env_.rank, env_.world_size, gloo_options);
    } catch (const std::exception& error) {
      throw PluginError(where() + ": the Gloo process group did not connect: " + first_line(error.what()));
    }
  }

  Collectives* collectives() override { return this; }
  bool stop_agreed() const override { return Collectives::stop_agreed(); }
  int rank() const override { return env_.rank; }
  int world_size() const override { return env_.world_size; }

  void sum(std::vector<torch::Tensor>& tensors) override { reduce(tensors, c10d::ReduceOp::SUM, "sum"); }
  void max(std::vector<torch::Tensor>& tensors) override { reduce(tensors, c10d::ReduceOp::MAX, "max"); }
  void min(std::vector<torch::Tensor>& tensors) override { reduce(tensors, c10d::ReduceOp::MIN, "min"); }
  using Collectives::sum;

  // Tensors on a GPU travel through host memory: Gloo moves CPU tensors
  // (what all_gather and gather return is on the CPU).
  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    for (auto& tensor : tensors) {
      std::vector<at::Tensor> one = {tensor.contiguous().cpu()};
      c10d::BroadcastOptions options;
      options.rootRank = root;
      run("broadcast", [&] { return group_->broadcast(one, options); });
      if (one[0].data_ptr() != tensor.data_ptr()) tensor.copy_(one[0]);
    }
  }

  std::vector<torch::Tensor> all_gather(const torch::Tensor& tensor) override {
    std::vector<at::Tensor> input = {tensor.contiguous().cpu()};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < env_.world_size; ++r) output[0].push_back(torch::empty_like(input[0]));
    run("all_gather", [&] { return group_->allgather(output, input); });
    return output[0];
  }

  std::vector<torch::Tensor> gather(const torch::Tensor& tensor, int root) override {
    std::vector<at::Tensor> input = {tensor.contiguous().cpu()};
    std::vector<std::vector<at::Tensor>> output;
    if (env_.rank == root) {
      output.resize(1);
      for (int r = 0; r < env_.world_size; ++r) output[0].push_back(torch::empty_like(input[0]));
    }
    c10d::GatherOptions options;
    options.rootRank = root;
    run("gather", [&] { return group_->gather(output, input, options); });
    return output.empty() ? std::vector<torch::Tensor>{} : output[0];
  }

  void publish(const std::string& key, const std::string& value) override {
    try {
      store_->set(key, bytes_of(value));
    } catch (const std::exception& error) {
      throw PluginError(where() + ": the store at " + store_address() + " is gone: " + first_line(error.what()));
    }
  }

  std::string await(const std::string& key) override {
    try {
      while (!store_->check({key})) std::this_thread::sleep_for(kPollInterval);
      return text_of(store_->get(key));
    } catch (const std::exception& error) {
      throw PluginError(where() + ": rank 0, which serves the store at " + store_address() +
                        ", is gone (it died or was stopped) while this rank waited for it (" + key + ")");
    }
  }

  // Rank 0 serves the store, so it leaves an exchange last: once every rank
  // has read every value.
  std::vector<std::string> exchange(const std::string& key, const std::string& value) override {
    std::vector<std::string> values = gather_values(key, value);
    try {
      store_->add(key + "/read", 1);
      const auto started = Clock::now();
      while (env_.rank == 0 && store_->add(key + "/read", 0) < env_.world_size && Clock::now() - started < timeout_)
        std::this_thread::sleep_for(kPollInterval);
    } catch (const std::exception& error) {
      throw PluginError(where() + ": rank 0, which serves the store at " + store_address() + ", is gone (" + key +
                        "): " + first_line(error.what()));
    }
    return values;
  }

 private:
  std::vector<std::string> gather_values(const std::string& key, const std::string& value) {
    publish(key + "/" + std::to_string(env_.rank), value);
    const auto started = Clock::now();
    std::vector<std::string> values(static_cast<std::size_t>(env_.world_size));
    for (int r = 0; r < env_.world_size; ++r) {
      const std::string rank_key = key + "/" + std::to_string(r);
      try {
        while (!store_->check({rank_key})) {
          if (Clock::now() - started > timeout_) throw PluginError(missing_ranks_message(key, started));
          std::this_thread::sleep_for(kPollInterval);
        }
        values[static_cast<std::size_t>(r)] = text_of(store_->get(rank_key));
      } catch (const PluginError&) {
        throw;
      } catch (const std::exception& error) {
        throw PluginError(where() + ": rank 0, which serves the store at " + store_address() + ", is gone (" + key +
                          "): " + first_line(error.what()));
      }
    }
    return values;
  }

  // Each rank bumps its counter in the store twice a second, over its own
  // connection, so that the others can tell a rank that stopped responding
  // (killed, hung, SIGSTOPped) from one that is merely slow to arrive.
  void start_heartbeat(c10d::TCPStoreOptions options) {
    options.isServer = false;
    auto client = c10::make_intrusive<c10d::PrefixStore>(
        "dictlab", c10::make_intrusive<c10d::TCPStore>(env_.master_address, options));
    heartbeat_ = std::thread([this, client] {
      try {
        while (beating_) {
          client->add(heartbeat_key(env_.rank), 1);
          std::this_thread::sleep_for(kHeartbeatInterval);
        }
      } catch (const std::exception&) {  // the store is gone: the run is ending either way
      }
    });
  }

  // The ranks whose heartbeat did not move over a few intervals.
  std::vector<int> silent_ranks() {
    std::vector<std::int64_t> before;
    for (int r = 0; r < env_.world_size; ++r) before.push_back(store_->add(heartbeat_key(r), 0));
    std::this_thread::sleep_for(4 * kHeartbeatInterval);
    std::vector<int> silent;
    for (int r = 0; r < env_.world_size; ++r)
      if (r != env_.rank && store_->add(heartbeat_key(r), 0) == before[static_cast<std::size_t>(r)]) silent.push_back(r);
    return silent;
  }

  std::string where() const {
    return "rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size);
  }
  std::string store_address() const { return env_.master_address + ":" + std::to_string(env_.master_port); }
  std::string timeout_text() const {
    return absl::StrFormat("%g s (collective_timeout)", std::chrono::duration<double>(timeout_).count());
  }
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
  static std::string hostname() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
  }

  std::string missing_ranks_message(const std::string& key, Clock::time_point started) {
    std::vector<std::string> missing;
    for (int r = 0; r < env_.world_size; ++r)
      if (!store_->check({key + "/" + std::to_string(r)})) missing.push_back(std::to_string(r));
    return absl::StrFormat("%s: rank(s) %s did not reach '%s' within %s (waited %.1f s): they died, hang, or "
                           "were never started",
                           where(), absl::StrJoin(missing, ", "), key, timeout_text(), seconds_since(started));
  }

  // One collective, counted in the store first so that on failure the
  // survivors can say which ranks never reached it.
  void run(const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
    ++sequence_;
    const auto started = Clock::now();
    try {
      store_->add(progress_key(env_.rank), 1);
      start()->wait(timeout_);
    } catch (const std::exception& error) {
      throw PluginError(failure_message(what, started, first_line(error.what())));
    }
  }

  std::string failure_message(const char* what, Clock::time_point started, const std::string& cause) {
    const std::string head = absl::StrFormat("%s: collective %s (#%d) failed after %.1f s, timeout %s", where(), what,
                                             sequence_, seconds_since(started), timeout_text());
    try {
      std::vector<std::string> named;
      const std::vector<int> silent = silent_ranks();
      for (int r = 0; r < env_.world_size; ++r) {
        const std::int64_t reached = store_->add(progress_key(r), 0);
        if (std::find(silent.begin(), silent.end(), r) != silent.end())
          named.push_back(absl::StrFormat("rank %d (at #%d) does not respond: it died, hangs or was stopped", r, reached));
        else if (r != env_.rank && reached < sequence_)
          named.push_back(absl::StrFormat("rank %d (last at #%d) did not arrive", r, reached));
      }
      if (named.empty()) return head + ": every rank arrived and responds; Gloo says: " + cause;
      return head + ": " + absl::StrJoin(named, "; ") + "; Gloo says: " + cause;
    } catch (const std::exception&) {
      if (env_.rank == 0)  // its own store: a peer stopped part-way through a request holds it
        return head + ": the store this rank serves stopped answering: a rank was stopped or hangs in the middle " +
               "of a request to it; Gloo says: " + cause;
      return head + ": rank 0, which serves the store at " + store_address() + ", is gone (it died or was stopped); " +
             "Gloo says: " + cause;
    }
  }

  static std::string heartbeat_key(int rank) { return "heartbeat/" + std::to_string(rank); }
  static std::string progress_key(int rank) { return "collectives/" + std::to_string(rank); }

  // Gloo reduces one tensor per call: tensors of a dtype travel as one flat
  // buffer, one call each.
  void reduce(std::vector<torch::Tensor>& tensors, c10d::ReduceOp op, const char* what) {
    std::map<int, std::vector<std::size_t>> by_dtype;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      by_dtype[static_cast<int>(tensors[i].scalar_type())].push_back(i);
    for (const auto& [dtype, indices] : by_dtype) {
      std::vector<torch::Tensor> parts;
      for (std::size_t i : indices) parts.push_back(tensors[i].reshape({-1}));
      std::vector<at::Tensor> flat = {(parts.size() == 1 ? parts[0].contiguous() : torch::cat(parts)).cpu()};
      c10d::AllreduceOptions options;
      options.reduceOp = op;
      run(what, [&] { return group_->allreduce(flat, options); });
      std::int64_t offset = 0;
      for (std::size_t i : indices) {
        const std::int64_t n = tensors[i].numel();
        if (flat[0].data_ptr() != tensors[i].data_ptr())  // not reduced in place
          tensors[i].copy_(flat[0].narrow(0, offset, n).view(tensors[i].sizes()));
        offset += n;
      }
    }
  }

  LaunchEnvironment env_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::TCPStore> server_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  std::int64_t sequence_ = 0;
  std::atomic<bool> beating_{true};
  std::thread heartbeat_;
};

}  // namespace
}  // namespace dictlab::host

// The module's one entry point: the joined group, or null with `error` set.
extern "C" __attribute__((visibility("default"))) dictlab::host::RankGroup* dictlab_join_ranks(
    const dictlab::host::LaunchEnvironment& env, std::int64_t timeout_ms, std::string& error) {
  auto group = std::make_unique<dictlab::host::TorchDistributedGroup>(env, std::chrono::milliseconds(timeout_ms));
  try {
    group->join();
  } catch (const std::exception& failure) {
    error = failure.what();
    return nullptr;
  }
  return group.release();
}
