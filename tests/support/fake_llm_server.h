#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace dictlab::testing {

// What the fake server does with one request.
struct FakeReply {
  int status = 200;
  std::string content;             // the assistant's message (status 200)
  std::string raw_body;            // sent as is instead, e.g. truncated JSON
  std::chrono::milliseconds delay{0};  // before answering (longer than the client's timeout = a timeout)
  std::string retry_after;         // Retry-After header, for 429
  bool echo_authorization = false; // an error body quoting the request's Authorization header, as some endpoints do
};

// An OpenAI-compatible chat-completions server on 127.0.0.1 for tests: each
// request gets the next scripted fault, if any, else `answer(request)`.
class FakeLlmServer {
 public:
  explicit FakeLlmServer(std::function<std::string(const nlohmann::json& request)> answer);
  ~FakeLlmServer();
  void script(FakeReply reply);  // queue a reply for the next request
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return requests_; }
  std::string last_authorization() const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::deque<FakeReply> script_;
  std::string authorization_;
  std::function<std::string(const nlohmann::json&)> answer_;
};

}  // namespace dictlab::testing
