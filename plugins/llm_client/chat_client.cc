#include "chat_client.h"

#define CPPHTTPLIB_OPENSSL_SUPPORT
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/sha256.h"
#include "retry_wait.h"
#include "secret_redaction.h"
#include "utf8_text.h"

namespace llm_client {
namespace {

// How much of an endpoint's reply an error text quotes.
constexpr std::size_t kQuotedBytes = 200;

bool retryable_status(int status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

std::string content_of(const nlohmann::json& reply) {
  return reply.at("choices").at(0).at("message").at("content").get<std::string>();
}

}  // namespace

ChatClient::ChatClient(ChatOptions options, dictlab::Logger& log) : options_(std::move(options)), log_(log) {
  const std::string& url = options_.endpoint;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.substr(0, scheme_end) != "http" && url.substr(0, scheme_end) != "https"))
    throw dictlab::OptionError("endpoint", "'" + url + "' is not an http:// or https:// URL");
  const auto path_start = url.find('/', scheme_end + 3);
  scheme_host_port_ = url.substr(0, path_start);
  base_path_ = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  if (!options_.cache_dir.empty()) std::filesystem::create_directories(options_.cache_dir);
}

std::string ChatClient::quoted(const std::string& reply) const {
  // Redact before cutting, so no prefix of the key survives a cut through it.
  return utf8_prefix(redact_secret(reply, options_.api_key), kQuotedBytes);
}

std::optional<std::string> ChatClient::cached_answer(const std::filesystem::path& file) const {
  if (file.empty()) return std::nullopt;
  std::ifstream in(file);
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (!in || !json.is_object() || !json.contains("content") || !json["content"].is_string()) return std::nullopt;
  return json["content"].get<std::string>();
}

void ChatClient::cache_answer(const std::filesystem::path& file, const nlohmann::json& request,
                              const std::string& content) const {
  if (file.empty()) return;
  try {
    dictlab::AtomicFile::write_all(file, dump_model_text(nlohmann::json{{"request", request}, {"content", content}}) + "\n");
  } catch (const std::exception& error) {  // the answer is good; only asking again will cost
    log_.warn(redact_secret("could not cache an LLM answer: " + std::string(error.what()), options_.api_key));
  }
}

ChatClient::Request ChatClient::request(const std::vector<ChatMessage>& messages, const AnswerFormat& format,
                                       nlohmann::json& json) const {
  json = {{"model", options_.model},
          {"temperature", options_.temperature},
          {"max_tokens", options_.max_tokens},
          {"messages", nlohmann::json::array()}};
  for (const auto& m : messages) json["messages"].push_back({{"role", m.role}, {"content", m.content}});
  if (!format.empty() && options_.structured_answers && !formats_refused_) json["response_format"] = format.response_format();
  Request r;
  r.body = dump_model_text(json);  // byte-level tokens may not be valid UTF-8
  // The endpoint is part of the key: another server may answer differently.
  const std::string key = dictlab::Sha256::of(scheme_host_port_ + base_path_ + "\n" + r.body);
  if (!options_.cache_dir.empty()) r.cache_file = options_.cache_dir / (key + ".json");
  r.seed = std::hash<std::string>{}(key);
  return r;
}

ChatResult ChatClient::complete(const std::vector<ChatMessage>& messages, const AnswerCheck& check,
                                const std::function<bool()>& stop, const AnswerFormat& format) {
  nlohmann::json json;
  Request req = request(messages, format, json);
  ChatResult result;
  if (auto answer = cached_answer(req.cache_file)) {
    result.content = std::move(answer);
    result.cached = true;
    return result;
  }

  std::mt19937_64 jitter(req.seed);
  auto backoff = std::min(options_.first_backoff, options_.max_retry_wait);
  for (result.attempts = 1; result.attempts <= options_.max_attempts; ++result.attempts) {
    if (stop && stop()) {
      result.error = "stopped";
      return result;
    }
    Attempt attempt = ask(req.body, check, stop);
    if (attempt.format_refused && json.contains("response_format")) {
      if (!formats_refused_.exchange(true))
        log_.warn("the endpoint refuses response_format (" + redact_secret(attempt.error, options_.api_key) +
                  "); asking for free-text answers from now on");
      req = request(messages, format, json);
      --result.attempts;  // the endpoint's limitation, not a failed attempt
      continue;
    }
    if (attempt.content) {
      result.content = std::move(attempt.content);
      result.error.clear();
      cache_answer(req.cache_file, json, *result.content);
      return result;
    }
    if (stop && stop()) {  // the request may have been cut short for it
      result.error = "stopped";
      return result;
    }
    result.error = redact_secret(attempt.error, options_.api_key);
    if (!attempt.retryable) return result;
    if (result.attempts < options_.max_attempts) {
      log_.warn("LLM request failed (attempt " + std::to_string(result.attempts) + " of " +
                std::to_string(options_.max_attempts) + "): " + result.error);
      const std::chrono::milliseconds spread(jitter() % (backoff.count() / 4 + 1));
      if (!sleep_unless_stopped(retry_wait(backoff, spread, attempt.retry_after, options_.max_retry_wait), stop)) {
        result.error = "stopped";
        return result;
      }
      backoff = std::min(backoff * 2, options_.max_retry_wait);
    }
  }
  result.attempts = options_.max_attempts;
  return result;
}

ChatClient::Attempt ChatClient::ask(const std::string& body, const AnswerCheck& check,
                                    const std::function<bool()>& stop) const {
  httplib::Client client(scheme_host_port_);
  const auto seconds = options_.timeout.count();
  client.set_connection_timeout(std::min<time_t>(seconds, 10));
  client.set_read_timeout(seconds);
  client.set_write_timeout(seconds);
  httplib::Headers headers;
  if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);

  Attempt attempt;
  // A slow model may take the whole timeout to answer: a stop request shuts
  // the socket (httplib's stop() is meant to be called from another thread)
  // rather than waiting it out.
  std::jthread watch;
  if (stop)
    watch = std::jthread([&client, &stop](std::stop_token done) {
      // Again and again: a stop before the socket opens closes nothing.
      try {
        while (!done.stop_requested()) {
          if (stop()) client.stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      } catch (...) {  // an escaping exception would be std::terminate; the request just runs its course
      }
    });
  const auto response = client.Post(base_path_ + "/chat/completions", headers, body, "application/json");
  if (watch.joinable()) {
    watch.request_stop();
    watch.join();
  }
  if (!response) {
    attempt.error = "no answer from " + scheme_host_port_ + ": " + httplib::to_string(response.error());
  } else if (response->status != 200) {
    attempt.error = "HTTP " + std::to_string(response->status) + " from " + scheme_host_port_ + ": " +
                    quoted(response->body);
    attempt.retryable = retryable_status(response->status);  // 400, 401, 404: asking again will not help
    attempt.retry_after = response->get_header_value("Retry-After");
    attempt.format_refused = response->status == 400 && response->body.find("response_format") != std::string::npos;
  } else {
    const auto json = nlohmann::json::parse(response->body, nullptr, false);
    try {
      std::string content = content_of(json);
      attempt.error = check ? check(content) : "";
      if (attempt.error.empty()) attempt.content = std::move(content);
    } catch (const std::exception&) {
      attempt.error = "the reply is not a chat completion: " + quoted(response->body);
    }
  }
  return attempt;
}

void ChatClient::check_reachable() const {
  httplib::Client client(scheme_host_port_);
  client.set_connection_timeout(5);
  client.set_read_timeout(options_.timeout.count());
  if (const auto response = client.Get(base_path_ + "/models"); !response)
    throw dictlab::PluginError("nothing answers at the LLM endpoint " + options_.endpoint + " (" +
                               httplib::to_string(response.error()) +
                               "); start one, e.g. the local server: bash .ci/start-llm-server");
}

std::string api_key_from_environment(const std::string& name) {
  if (name.empty()) return "";
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) throw dictlab::OptionError("api_key_env", "the environment variable " + name + " is not set");
  return value;
}

}  // namespace llm_client
