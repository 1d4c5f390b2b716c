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

namespace llm_client {
namespace {

bool retryable_status(int status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

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

ChatResult ChatClient::complete(const std::vector<ChatMessage>& messages, const AnswerCheck& check,
                                const std::function<bool()>& stop) {
  nlohmann::json request = {{"model", options_.model},
                            {"temperature", options_.temperature},
                            {"max_tokens", options_.max_tokens},
                            {"messages", nlohmann::json::array()}};
  for (const auto& m : messages) request["messages"].push_back({{"role", m.role}, {"content", m.content}});
  const std::string body = request.dump();
  // The endpoint is part of the key: another server may answer differently.
  const std::string key = dictlab::Sha256::of(scheme_host_port_ + base_path_ + "\n" + body);
  const std::filesystem::path cached = options_.cache_dir.empty() ? "" : options_.cache_dir / (key + ".json");

  ChatResult result;
  if (!cached.empty()) {
    std::ifstream in(cached);
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (in && json.is_object() && json.contains("content")) {
      result.content = json["content"].get<std::string>();
      result.cached = true;
      return result;
    }
  }

  httplib::Client client(scheme_host_port_);
  const auto seconds = options_.timeout.count();
  client.set_connection_timeout(std::min<time_t>(seconds, 10));
  client.set_read_timeout(seconds);
  client.set_write_timeout(seconds);
  httplib::Headers headers;
  if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);

  std::mt19937_64 jitter(std::hash<std::string>{}(key));
  auto backoff = options_.first_backoff;
  for (result.attempts = 1; result.attempts <= options_.max_attempts; ++result.attempts) {
    if (stop && stop()) {
      result.error = "stopped";
      return result;
    }
    std::chrono::milliseconds wait = backoff;
    const auto response = client.Post(base_path_ + "/chat/completions", headers, body, "application/json");
    if (!response) {
      result.error = "no answer from " + scheme_host_port_ + ": " + httplib::to_string(response.error());
    } else if (response->status != 200) {
      result.error = "HTTP " + std::to_string(response->status) + " from " + scheme_host_port_ + ": " +
                     response->body.substr(0, 200);
      if (!retryable_status(response->status)) return result;  // 400, 401, 404: asking again will not help
      if (const auto retry_after = response->get_header_value("Retry-After"); !retry_after.empty())
        wait = std::max(wait, std::chrono::milliseconds(static_cast<std::int64_t>(1000 * std::atof(retry_after.c_str()))));
    } else {
      const auto json = nlohmann::json::parse(response->body, nullptr, false);
      std::string content;
      try {
        content = json.at("choices").at(0).at("message").at("content").get<std::string>();
        result.error = check ? check(content) : "";
      } catch (const std::exception&) {
        result.error = "the reply is not a chat completion: " + response->body.substr(0, 200);
      }
      if (result.error.empty()) {
        result.content = content;
        if (!cached.empty())
          dictlab::AtomicFile::write_all(cached, nlohmann::json({{"request", request}, {"content", content}}).dump() + "\n");
        return result;
      }
    }
    if (result.attempts < options_.max_attempts) {
      log_.warn("LLM request failed (attempt " + std::to_string(result.attempts) + " of " +
                std::to_string(options_.max_attempts) + "): " + result.error);
      std::this_thread::sleep_for(wait + std::chrono::milliseconds(jitter() % (wait.count() / 4 + 1)));
      backoff *= 2;
    }
  }
  result.attempts = options_.max_attempts;
  return result;
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
