#include "fake_llm_server.h"

#include <httplib.h>

namespace dictlab::testing {

FakeLlmServer::FakeLlmServer(std::function<std::string(const nlohmann::json&)> answer)
    : server_(std::make_unique<httplib::Server>()), answer_(std::move(answer)) {
  server_->Post("/v1/chat/completions", [this](const httplib::Request& request, httplib::Response& response) {
    ++requests_;
    FakeReply reply;
    {
      std::lock_guard lock(mutex_);
      authorization_ = request.get_header_value("Authorization");
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      } else {
        reply.content = answer_(nlohmann::json::parse(request.body));
      }
    }
    std::this_thread::sleep_for(reply.delay);
    response.status = reply.status;
    if (!reply.retry_after.empty()) response.set_header("Retry-After", reply.retry_after);
    if (reply.echo_authorization) {
      const nlohmann::json error = {
          {"error", {{"message", "invalid credentials in header 'Authorization: " +
                                     request.get_header_value("Authorization") + "'"}}}};
      response.set_content(error.dump(), "application/json");
      return;
    }
    if (!reply.raw_body.empty() || reply.status != 200) {
      response.set_content(reply.raw_body.empty() ? R"({"error":{"message":"injected"}})" : reply.raw_body,
                           "application/json");
      return;
    }
    const nlohmann::json body = {
        {"id", "fake"},
        {"object", "chat.completion"},
        {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", reply.content}}}, {"finish_reason", "stop"}}}}};
    response.set_content(body.dump(), "application/json");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::yield();
}

FakeLlmServer::~FakeLlmServer() {
  server_->stop();
  thread_.join();
}

void FakeLlmServer::script(FakeReply reply) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(reply));
}

std::string FakeLlmServer::last_authorization() const {
  std::lock_guard lock(mutex_);
  return authorization_;
}

}  // namespace dictlab::testing
