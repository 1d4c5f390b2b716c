#include "endpoint_options.h"

namespace llm_client {

std::vector<dictlab::OptionSpec> endpoint_options(std::int64_t default_max_tokens) {
  using dictlab::OptionSpec;
  using dictlab::OptionType;
  return {
      {"endpoint", OptionType::kString, "Base URL of the OpenAI-compatible API (…/v1).",
       std::string("http://127.0.0.1:8081/v1")},
      {"model", OptionType::kString, "Model name sent to the endpoint (a labeler's labels name it as author).",
       std::string("SmolLM2-135M-Instruct")},
      OptionSpec{"temperature", OptionType::kFloat, "Sampling temperature.", 0.0}.at_least(0.0),
      OptionSpec{"max_tokens", OptionType::kInt, "Longest answer, in tokens.", default_max_tokens}.at_least(1),
      OptionSpec{"concurrency", OptionType::kInt, "Requests in flight at once.", std::int64_t{1}}.at_least(1),
      {"api_key_env", OptionType::kString, "Environment variable holding the API key (\"\": none).", std::string("")},
      OptionSpec{"timeout_seconds", OptionType::kInt, "Per-request timeout.", std::int64_t{120}}.at_least(1),
      OptionSpec{"max_attempts", OptionType::kInt,
                 "Attempts per request (unusable answers are asked again) before it is recorded as failed.",
                 std::int64_t{4}}
          .at_least(1),
      OptionSpec{"retry_backoff_ms", OptionType::kInt,
                 "Wait before the first retry; doubles each time (Retry-After wins).", std::int64_t{500}}
          .at_least(1),
      {"structured_answers", OptionType::kBool,
       "Ask for JSON answers of a fixed shape (OpenAI response_format); endpoints that refuse it get free text.",
       true},
  };
}

ChatOptions chat_options(dictlab::RunContext& context) {
  const auto& o = context.options();
  ChatOptions chat;
  chat.endpoint = o.get_string("endpoint");
  chat.model = o.get_string("model");
  chat.temperature = o.get_float("temperature");
  chat.max_tokens = o.get_int("max_tokens");
  chat.concurrency = o.get_int("concurrency");
  chat.api_key = api_key_from_environment(o.get_string("api_key_env"));
  chat.timeout = std::chrono::seconds(o.get_int("timeout_seconds"));
  chat.max_attempts = static_cast<int>(o.get_int("max_attempts"));
  chat.first_backoff = std::chrono::milliseconds(o.get_int("retry_backoff_ms"));
  chat.structured_answers = o.get_bool("structured_answers");
  // The run directory holds stages/<name>/.
  chat.cache_dir = context.stage_dir().parent_path().parent_path() / "llm_cache";
  return chat;
}

}  // namespace llm_client
