#include "model_api.h"

#include <httplib.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "dictlab/utf8.h"
#include "request_guard.h"

namespace dictlab::host {
namespace {

using Request = httplib::Request;
using Response = httplib::Response;
using Clock = std::chrono::steady_clock;

// A request the client got wrong: 400 with the message.
struct BadRequest : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
// Thrown from inside a generation (at its hook) once the request's time is up.
struct TimeUp : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void reply(Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  // A continuation cut inside a character is not UTF-8: show U+FFFD rather than fail.
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

template <typename T>
T field(const nlohmann::json& body, const char* key, T fallback, T low, T high) {
  if (!body.contains(key)) return fallback;
  const auto& value = body[key];
  if (!value.is_number() || (std::is_integral_v<T> && !value.is_number_integer()))
    throw BadRequest(absl::StrCat("'", key, "' must be a", std::is_integral_v<T> ? "n integer" : " number"));
  if (std::is_unsigned_v<T> && !value.is_number_unsigned())  // else -1 would wrap around
    throw BadRequest(absl::StrCat("'", key, "' must not be negative"));
  const T got = value.get<T>();
  if (!(got >= low && got <= high))  // also refuses NaN
    throw BadRequest(absl::StrCat("'", key, "' is ", value.dump(), "; it must be from ", low, " to ", high));
  return got;
}

std::string text_field(const nlohmann::json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_string())
    throw BadRequest(absl::StrCat("'", key, "' (a string) is missing"));
  return body[key].get<std::string>();
}

class ModelApi {
 public:
  ModelApi(std::shared_ptr<ServedModel> served, std::string load_error, std::shared_ptr<ModelGate> gate,
           ModelApiLimits limits)
      : served_(std::move(served)), load_error_(std::move(load_error)), gate_(std::move(gate)), limits_(limits) {}

  void describe(Response& response) const {
    if (!served_) return reply(response, 503, {{"error", load_error_}});
    const ServedModelInfo& info = served_->info();
    reply(response, 200,
          {{"model", info.model_stage},
           {"plugin", info.model_plugin},
           {"dictionary", info.dictionary_stage},
           {"dictionary_plugin", info.dictionary_plugin},
           {"analysis_stage", info.analysis_stage},
           {"hook", info.hook},
           {"vocab_size", info.vocab_size},
           {"context_length", info.context_length},
           {"d_sae", info.d_sae},
           {"generates", true},
           {"limits",
            {{"max_body_bytes", limits_.max_body_bytes},
             {"max_new_tokens", limits_.max_new_tokens},
             {"max_top_n", limits_.max_top_n},
             {"max_pins", limits_.max_pins},
             {"request_timeout_seconds", limits_.request_timeout.count() / 1000.0}}}});
  }

  // Checks the request, waits its turn for the model, runs `call` and answers what it returns.
  void run(const Request& request, Response& response,
           nlohmann::json (ModelApi::*call)(const nlohmann::json&, Clock::time_point)) {
    if (!served_) return reply(response, 503, {{"error", load_error_}});
    if (!require_content_type(request, response, {"application/json"})) return;
    if (request.body.size() > limits_.max_body_bytes)
      return reply(response, 413,
                   {{"error", absl::StrCat("the body is ", request.body.size(),
                                           " bytes; the model API takes at most ", limits_.max_body_bytes)}});
    if (const std::size_t at = invalid_utf8_at(request.body); at != std::string::npos)
      return reply(response, 400, {{"error", absl::StrCat("the body is not UTF-8 (at byte ", at, ")")}});
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object()) return reply(response, 400, {{"error", "the body must be a JSON object"}});
    std::unique_lock lock(gate_->running, std::defer_lock);
    if (!take_turn(lock)) {
      response.set_header("Retry-After", std::to_string(limits_.retry_after_seconds));
      return reply(response, 503, {{"error", "the model is busy with other requests; try again in a few seconds"}});
    }
    try {
      reply(response, 200, (this->*call)(body, Clock::now() + limits_.request_timeout));
    } catch (const BadRequest& error) {
      reply(response, 400, {{"error", error.what()}});
    } catch (const TimeUp& error) {
      reply(response, 504, {{"error", error.what()}});
    } catch (const std::exception& error) {
      reply(response, 500, {{"error", std::string("the model failed: ") + error.what()}});
    }
  }

  nlohmann::json activations(const nlohmann::json& body, Clock::time_point) {
    const std::string text = text_field(body, "text");
    const auto top_n = field<std::int64_t>(body, "top_n", 10, 1, limits_.max_top_n);
    bool truncated = false;
    nlohmann::json tokens = nlohmann::json::array();
    for (const auto& token : served_->features(text, top_n, truncated)) {
      nlohmann::json features = nlohmann::json::array();
      for (const auto& [feature, activation] : token.features) features.push_back({feature, activation});
      tokens.push_back({{"token", token.token}, {"features", features}});
    }
    return {{"tokens", tokens}, {"truncated", truncated}};
  }

  nlohmann::json generate(const nlohmann::json& body, Clock::time_point deadline) {
    SamplingOptions sampling;
    sampling.max_new_tokens = field<std::int64_t>(body, "max_new_tokens", 64, 1, limits_.max_new_tokens);
    sampling.temperature = field<double>(body, "temperature", 1.0, 0.0, 100.0);
    sampling.top_k = field<std::int64_t>(body, "top_k", 0, 0, served_->info().vocab_size);
    sampling.seed = field<std::uint64_t>(body, "seed", 0, 0, UINT64_MAX);
    const std::vector<Pin> pins = read_pins(body);
    const auto started = Clock::now();
    auto check = [deadline, this] {
      if (Clock::now() > deadline)
        throw TimeUp(absl::StrCat("the generation took longer than ", limits_.request_timeout.count() / 1000.0,
                                  " s, the most one request may; ask for fewer tokens"));
    };
    bool prompt_truncated = false;
    const std::string text = served_->generate(text_field(body, "prompt"), sampling, pins, check, prompt_truncated);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const auto tokens = served_->display(text);
    return {{"text", text},
            {"tokens", tokens},
            {"tokens_per_second", seconds > 0 ? static_cast<double>(tokens.size()) / seconds : 0.0},
            {"prompt_truncated", prompt_truncated}};
  }

 private:
  // At most max_waiting requests queue behind the running one, each for at most queue_wait.
  bool take_turn(std::unique_lock<std::timed_mutex>& lock) {
    if (lock.try_lock()) return true;
    if (gate_->waiting.fetch_add(1) >= limits_.max_waiting) {
      gate_->waiting.fetch_sub(1);
      return false;
    }
    const bool got = lock.try_lock_for(limits_.queue_wait);
    gate_->waiting.fetch_sub(1);
    return got;
  }

  std::vector<Pin> read_pins(const nlohmann::json& body) const {
    std::vector<Pin> pins;
    if (!body.contains("pins")) return pins;
    if (!body["pins"].is_array()) throw BadRequest("'pins' must be an array of {\"feature\", \"value\"}");
    if (body["pins"].size() > limits_.max_pins)
      throw BadRequest(
          absl::StrCat(body["pins"].size(), " pins; at most ", limits_.max_pins, " may be pinned at once"));
    for (const auto& pin : body["pins"]) {
      if (!pin.is_object()) throw BadRequest("each pin must be {\"feature\", \"value\"}");
      pins.push_back({field<std::int64_t>(pin, "feature", -1, 0, served_->info().d_sae - 1),
                      static_cast<float>(field<double>(pin, "value", 0.0, -1e6, 1e6))});
      if (!pin.contains("feature")) throw BadRequest("a pin has no 'feature'");
    }
    return pins;
  }

  std::shared_ptr<ServedModel> served_;
  std::string load_error_;
  std::shared_ptr<ModelGate> gate_;
  ModelApiLimits limits_;
};

}  // namespace

void install_model_api(httplib::Server& server, std::shared_ptr<ServedModel> served, const std::string& load_error,
                       std::shared_ptr<ModelGate> gate, const std::string& folder, ModelApiLimits limits) {
  auto api = std::make_shared<ModelApi>(std::move(served), load_error, std::move(gate), limits);
  server.Get(folder + "/api/model", [api](const Request&, Response& response) { api->describe(response); });
  server.Post(folder + "/api/activations", [api](const Request& request, Response& response) {
    api->run(request, response, &ModelApi::activations);
  });
  server.Post(folder + "/api/generate", [api](const Request& request, Response& response) {
    api->run(request, response, &ModelApi::generate);
  });
}

}  // namespace dictlab::host
