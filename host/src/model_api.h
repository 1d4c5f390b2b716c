#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "served_model.h"

namespace httplib {
class Server;
}

namespace dictlab::host {

// How much one request may ask of the served model, and how many may wait.
struct ModelApiLimits {
  std::size_t max_body_bytes = 8 * 1024;  // a prompt or text of a few KiB
  std::int64_t max_new_tokens = 128;
  std::int64_t max_top_n = 32;            // features per token
  std::size_t max_pins = 8;
  std::size_t max_waiting = 4;            // requests queued behind the running one; more get 503
  std::chrono::milliseconds queue_wait{10'000};  // then 503 with Retry-After
  std::chrono::milliseconds request_timeout{60'000};  // a generation stops with 504 once over it
  int retry_after_seconds = 5;
};

// One model call at a time for the whole server (every stage's API): the
// model runs on the CPU with all its threads, and two calls at once would
// only be slower each, and hold twice the memory.
struct ModelGate {
  std::timed_mutex running;
  std::atomic<std::size_t> waiting = 0;
};

// The model API of `dictlab serve` (host/site/DATA.md, "Model API"), under
// `folder` (e.g. "/features"; empty: /api/model): GET api/model says what
// runs (200) or why nothing does (503: `load_error`); POST api/activations
// (what fires here) and api/generate (with pinned features) run it.
// `served` may be null (then only api/model answers, with the error).
void install_model_api(httplib::Server& server, std::shared_ptr<ServedModel> served, const std::string& load_error,
                       std::shared_ptr<ModelGate> gate, const std::string& folder = "", ModelApiLimits limits = {});

}  // namespace dictlab::host
