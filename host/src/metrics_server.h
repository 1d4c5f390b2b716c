#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "metrics_registry.h"

namespace httplib {
class Server;
}

namespace dictlab::host {

// Serves GET /metrics for Prometheus to scrape while a run is going.
//
// Not prometheus-cpp's Exposer: its civetweb server cannot start worker
// threads once LibTorch is in the process (see tests/metrics_with_torch_test),
// which every model plugin brings in. cpp-httplib uses ordinary std::threads.
class MetricsServer {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsServer>> start(const MetricsRegistry& registry,
                                                              const std::string& address, int port);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> finished_ = false;
};

}  // namespace dictlab::host
