#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace dictlab::testing {

// The result vector of a Prometheus instant query; empty while it has no data.
nlohmann::json prometheus_query(int port, const std::string& promql);

// The port `dictlab serve` announced on its output ("http://127.0.0.1:PORT/"),
// or 0 if it did not within the timeout.
int served_port(const Process& serve, std::chrono::seconds timeout);

}  // namespace dictlab::testing
