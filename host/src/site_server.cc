#include "site_server.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "labelling_api.h"
#include "model_api.h"
#include "plugin_registry.h"
#include "request_guard.h"
#include "stop_signal.h"

namespace dictlab::host {
namespace {

// At most this many connections are served at once (httplib gives each a
// thread of its pool): enough that idle or half-open ones (a browser keeps
// up to 6 per host) never leave a page's request waiting; more wait their turn.
constexpr std::size_t kMaxConnections = 64;
// Loopback answers in microseconds: a connection that has not sent its
// request within 2 s, or a kept-alive one idle for 2 s, only holds a worker.
constexpr time_t kReadTimeoutSeconds = 2;
constexpr time_t kKeepAliveSeconds = 2;
constexpr time_t kWriteTimeoutSeconds = 10;

void set_connection_limits(httplib::Server& server) {
  server.new_task_queue = [] { return new httplib::ThreadPool(kMaxConnections); };
  server.set_read_timeout(kReadTimeoutSeconds);
  server.set_keep_alive_timeout(kKeepAliveSeconds);
  server.set_write_timeout(kWriteTimeoutSeconds);
}

void serve_metrics(httplib::Server& server, const std::filesystem::path& run_dir) {
  // A finished run's last values (every stage's, kept in RUN_DIR/metrics.prom), for
  // Prometheus to scrape, so that Grafana's dashboards show finished runs too.
  server.Get("/metrics", [run_dir](const httplib::Request&, httplib::Response& response) {
    std::ifstream in(run_dir / "metrics.prom");
    response.set_content(std::string(std::istreambuf_iterator<char>(in), {}), "text/plain; version=0.0.4; charset=utf-8");
  });
}

// The model API of each stage (model_api.h), its model and dictionary loaded
// now, once: a large model takes seconds, which no page request should wait for.
// Loaded for toy runs too, whose pages run the model themselves: the API is
// then there for scripts, and costs milliseconds. A failure leaves the
// static browser as it was, and api/model says why.
void serve_models(httplib::Server& server, const std::filesystem::path& run_dir,
                  const std::vector<std::string>& analysis_stages, bool per_stage_folders, std::ostream& out) {
  const PluginRegistry registry = PluginRegistry::discover(default_plugin_search_path({}));
  auto gate = std::make_shared<ModelGate>();  // shared, as the models may be
  ServedModel::ModelCache models;
  for (const auto& stage : analysis_stages) {
    const std::string folder = per_stage_folders ? "/" + stage : "";
    auto served = ServedModel::open(run_dir, stage, registry, models);
    if (!served.ok()) {
      const std::string why = "the model of stage " + stage + " could not be loaded, so the pages cannot run it " +
                              "through this server: " + std::string(served.status().message());
      out << "note: " << why << std::endl;
      install_model_api(server, nullptr, why, gate, folder);
      continue;
    }
    const ServedModelInfo& info = (*served)->info();
    out << "model API at " << folder << "/api/: " << info.model_stage << " (" << info.model_plugin << "), dictionary "
        << info.dictionary_stage << " at " << info.hook << std::endl;
    install_model_api(server, std::move(*served), "", gate, folder);
  }
}

}  // namespace

absl::Status serve_site(const std::filesystem::path& site, const std::filesystem::path& run_dir,
                        const std::vector<std::string>& analysis_stages, bool per_stage_folders,
                        const std::string& address, int port, std::ostream& out) {
  httplib::Server server;
  std::vector<std::shared_ptr<LabellingApi>> apis;
  for (const auto& stage : analysis_stages)
    apis.push_back(install_labelling_api(server, run_dir, stage, per_stage_folders ? "/" + stage : ""));
  serve_metrics(server, run_dir);
  serve_models(server, run_dir, analysis_stages, per_stage_folders, out);
  set_connection_limits(server);
  // As for /metrics: a busy port is an error, not a silently shared one.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_default_headers({{"Cache-Control", "no-cache"}});
  if (!server.set_mount_point("/", site.string()))
    return absl::NotFoundError("cannot serve " + site.string() + ": not a folder");
  server.set_file_extension_and_mimetype_mapping("safetensors", "application/octet-stream");
  server.set_file_extension_and_mimetype_mapping("bin", "application/octet-stream");
  const int bound = port == 0 ? server.bind_to_any_port(address) : (server.bind_to_port(address, port) ? port : -1);
  if (bound <= 0)
    return absl::UnavailableError("cannot listen on " + address + ":" + std::to_string(port) +
                                  " (in use? pick another with --port)");
  // Only now is the port known that the Host and Origin rules name.
  install_request_guard(server, address, bound);
  out << "serving " << site.string() << " at http://" << address << ":" << bound << "/ (Ctrl-C stops)" << std::endl;
  std::thread watcher([&server] {
    while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  server.listen_after_bind();
  request_stop();  // ends the watcher if the server stopped by itself
  watcher.join();
  return absl::OkStatus();
}

}  // namespace dictlab::host
