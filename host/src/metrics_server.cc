#include "metrics_server.h"

#include <httplib.h>

namespace dictlab::host {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::start(const MetricsRegistry& registry,
                                                                    const std::string& address, int port) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->server_ = std::make_unique<httplib::Server>();
  // httplib's default adds SO_REUSEPORT, which would let a second run bind the
  // same port and split the scrapes between them; a busy port must be an error.
  server->server_->set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server->server_->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry.serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server->server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("dictlab metrics: see /metrics\n", "text/plain");
  });
  if (port == 0) {
    server->port_ = server->server_->bind_to_any_port(address);
    if (server->port_ <= 0) return absl::UnavailableError("cannot bind the metrics endpoint to " + address);
  } else {
    if (!server->server_->bind_to_port(address, port))
      return absl::UnavailableError("cannot bind the metrics endpoint to " + address + ":" + std::to_string(port) +
                                    " (in use? choose another [metrics] port, or --metrics-port 0 for none)");
    server->port_ = port;
  }
  server->thread_ = std::thread([s = server.get()] {
    s->server_->listen_after_bind();
    s->finished_ = true;
  });
  // stop() is a no-op until the accept loop runs; wait for it so a quick
  // destruction cannot leave the thread listening forever.
  while (!server->server_->is_running() && !server->finished_) std::this_thread::yield();
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dictlab::host
