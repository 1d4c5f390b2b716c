#include "http_support.h"

#include <httplib.h>

#include <regex>

namespace dictlab::testing {

nlohmann::json prometheus_query(int port, const std::string& promql) {
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!response || response->status != 200) return nlohmann::json::array();
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success") return nlohmann::json::array();
  return body["data"]["result"];
}

int served_port(const Process& serve, std::chrono::seconds timeout) {
  static const std::regex url("http://127\\.0\\.0\\.1:([0-9]+)/");
  int port = 0;
  wait_for([&] {
    const std::string output = serve.output();
    std::smatch match;
    if (std::regex_search(output, match, url)) port = std::stoi(match[1]);
    return port != 0;
  }, timeout);
  return port;
}

}  // namespace dictlab::testing
