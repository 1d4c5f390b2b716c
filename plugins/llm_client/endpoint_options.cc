#include "endpoint_options.h"

#include "dictlab/errors.h"

namespace llm_client {
namespace {

std::int64_t positive(const dictlab::Options& options, const char* key) {
  const std::int64_t value = options.get_int(key);
  if (value <= 0) throw dictlab::OptionError(key, "must be positive");
  return value;
}

}  // namespace

std::vector<dictlab::OptionSpec> endpoint_options(std::int64_t default_max_tokens) {
  using dictlab::OptionType;
  return {
      {"endpoint", OptionType::kString, "Base URL of the OpenAI-compatible API (…/v1).",
       std::string("http://127.0.0.1:8081/v1")},
      {"model", OptionType::kString, "Model name sent to the endpoint (a labeler's labels name it as author).",
       std::string("SmolLM2-135M-Instruct")},
      {"temperature", OptionType::kFloat, "Sampling temperature.", 0.0},
      {"max_tokens", OptionType::kInt, "Longest answer, in tokens.", default_max_tokens},
      {"concurrency", OptionType::kInt, "Requests in flight at once.", std::int64_t{1}},
      {"api_key_env", OptionType::kString, "Environment variable holding the API key (\"\": none).", std::string("")},
      {"timeout_seconds", OptionType::kInt, "Per-request timeout.", std::int64_t{120}},
      {"max_attempts", OptionType::kInt,
       "Attempts per request (unusable answers are asked again) before it is recorded as failed.", std::int64_t{4}},
      {"retry_backoff_ms", OptionType::kInt, "Wait before the first retry; doubles each time (Retry-After wins).",
       std::int64_t{500}},
  };
}

ChatOptions chat_options(dictlab::RunContext& context) {
  const auto& o = context.options();
  ChatOptions chat;
  chat.endpoint = o.get_string("endpoint");
  chat.model = o.get_string("model");
  chat.temperature = o.get_float("temperature");
  if (!(chat.temperature >= 0)) throw dictlab::OptionError("temperature", "must not be negative");
  chat.max_tokens = positive(o, "max_tokens");
  chat.concurrency = positive(o, "concurrency");
  chat.api_key = api_key_from_environment(o.get_string("api_key_env"));
  chat.timeout = std::chrono::seconds(positive(o, "timeout_seconds"));
  chat.max_attempts = static_cast<int>(positive(o, "max_attempts"));
  chat.first_backoff = std::chrono::milliseconds(positive(o, "retry_backoff_ms"));
  // The run directory holds stages/<name>/.
  chat.cache_dir = context.stage_dir().parent_path().parent_path() / "llm_cache";
  return chat;
}

}  // namespace llm_client
