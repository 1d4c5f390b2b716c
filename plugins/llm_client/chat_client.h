#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "answer_format.h"
#include "dictlab/run_context.h"

namespace llm_client {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct ChatOptions {
  std::string endpoint = "http://127.0.0.1:8081/v1";  // base URL; /chat/completions is appended
  std::string model;
  double temperature = 0.0;
  std::int64_t max_tokens = 64;
  std::string api_key;  // sent as a bearer token; never logged or written (redacted from error texts)
  std::chrono::seconds timeout{120};
  int max_attempts = 5;  // per request, for 429 / 5xx / timeouts / answers that fail the check
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_retry_wait{60'000};  // caps Retry-After and the doubled backoff
  std::filesystem::path cache_dir;  // responses by request hash; empty: no cache
  std::int64_t concurrency = 1;     // requests the caller keeps in flight (the client is thread-safe)
  bool structured_answers = true;   // send a request's AnswerFormat as response_format
};

// A good answer, or why there is none after every attempt.
struct ChatResult {
  std::optional<std::string> content;
  std::string error;
  int attempts = 0;
  bool cached = false;
};

// Returns "" if the answer is usable, else why not (the request is retried).
using AnswerCheck = std::function<std::string(const std::string& content)>;

// A client of the OpenAI-compatible chat-completions API (OpenAI, vLLM,
// llama.cpp's server, Ollama, LM Studio, host/llm-server). Thread-safe:
// labelers call it from several threads at once.
class ChatClient {
 public:
  ChatClient(ChatOptions options, dictlab::Logger& log);
  // Retries with exponential backoff (honouring Retry-After up to
  // max_retry_wait) on 429, 5xx, network errors, malformed replies and
  // answers `check` refuses; a good answer is cached by the hash of the
  // request, so asking again is free. Waits end early, with the error
  // "stopped", once `stop` says so. Error texts never contain the API key.
  // A non-empty `format` goes as response_format; an endpoint that refuses
  // it (400 naming it) is asked without from then on, so `check` must
  // accept free text too.
  ChatResult complete(const std::vector<ChatMessage>& messages, const AnswerCheck& check = {},
                      const std::function<bool()>& stop = {}, const AnswerFormat& format = {});
  // Throws PluginError, saying how to start the local server, when nothing
  // answers at the endpoint: better than a failed label per feature.
  void check_reachable() const;

 private:
  struct Attempt {
    std::optional<std::string> content;
    std::string error;
    bool retryable = true;
    std::string retry_after;  // the endpoint's Retry-After header, if any
    bool format_refused = false;  // a 400 that names response_format
  };
  struct Request {
    std::string body;
    std::filesystem::path cache_file;  // "" without a cache
    std::uint64_t seed = 0;            // of the retries' jitter
  };
  Request request(const std::vector<ChatMessage>& messages, const AnswerFormat& format, nlohmann::json& json) const;
  Attempt ask(const std::string& body, const AnswerCheck& check, const std::function<bool()>& stop) const;
  // The start of an endpoint's reply for an error text: the key redacted,
  // cut on a character boundary.
  std::string quoted(const std::string& reply) const;
  std::optional<std::string> cached_answer(const std::filesystem::path& file) const;
  void cache_answer(const std::filesystem::path& file, const nlohmann::json& request,
                    const std::string& content) const;

  ChatOptions options_;
  dictlab::Logger& log_;
  std::string scheme_host_port_, base_path_;
  std::atomic<bool> formats_refused_{false};
};

// The API key from the environment variable `name` ("" for none); the error
// names the variable, never the value.
std::string api_key_from_environment(const std::string& name);

}  // namespace llm_client
