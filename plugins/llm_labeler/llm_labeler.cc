// Labeler: asks an LLM behind an OpenAI-compatible chat-completions endpoint
// to explain each feature from its top examples (Bills et al. 2023). A local
// server (host/llm-server) makes this work offline with no key.
#include <atomic>
#include <thread>

#include "chat_client.h"
#include "dictlab/sdk.h"
#include "explanation_prompt.h"

namespace {

using dictlab::OptionType;

std::vector<dictlab::OptionSpec> options() {
  std::vector<dictlab::OptionSpec> specs = {
      {"endpoint", OptionType::kString, "Base URL of the OpenAI-compatible API (…/v1).",
       std::string("http://127.0.0.1:8081/v1")},
      {"model", OptionType::kString, "Model name sent to the endpoint; also the labels' author.",
       std::string("SmolLM2-135M-Instruct")},
      {"temperature", OptionType::kFloat, "Sampling temperature.", 0.0},
      {"max_tokens", OptionType::kInt, "Longest answer, in tokens.", std::int64_t{48}},
      {"concurrency", OptionType::kInt, "Requests in flight at once.", std::int64_t{1}},
      {"api_key_env", OptionType::kString, "Environment variable holding the API key (\"\": none).", std::string("")},
      {"timeout_seconds", OptionType::kInt, "Per-request timeout.", std::int64_t{120}},
      {"max_attempts", OptionType::kInt, "Attempts per feature before it is recorded as failed.", std::int64_t{4}},
      {"retry_backoff_ms", OptionType::kInt, "Wait before the first retry; doubles each time (Retry-After wins).",
       std::int64_t{500}},
      {"examples", OptionType::kInt, "Top examples shown per feature.", std::int64_t{5}},
  };
  for (auto& spec : dictlab::labeler_selection_options()) specs.push_back(std::move(spec));
  return specs;
}

dictlab::PluginDescriptor describe() {
  return {.name = "llm",
          .version = "1.0.0",
          .summary = "Labels features with an LLM over the OpenAI chat-completions API (Bills et al. 2023 prompt).",
          .options = options()};
}

std::int64_t positive(const dictlab::Options& o, const char* key) {
  if (o.get_int(key) <= 0) throw dictlab::OptionError(key, "must be positive");
  return o.get_int(key);
}

class LlmLabeler : public dictlab::Labeler {
 public:
  void label(dictlab::RunContext& context, const std::vector<dictlab::FeatureEvidence>& features,
             const dictlab::LabelSink& emit) override {
    const auto& o = context.options();
    llm_client::ChatOptions chat;
    chat.endpoint = o.get_string("endpoint");
    chat.model = o.get_string("model");
    chat.temperature = o.get_float("temperature");
    chat.max_tokens = positive(o, "max_tokens");
    chat.api_key = llm_client::api_key_from_environment(o.get_string("api_key_env"));
    chat.timeout = std::chrono::seconds(positive(o, "timeout_seconds"));
    chat.max_attempts = static_cast<int>(positive(o, "max_attempts"));
    chat.first_backoff = std::chrono::milliseconds(positive(o, "retry_backoff_ms"));
    // Beside the stages, so that a re-run (even --force) asks nothing it asked before.
    chat.cache_dir = context.stage_dir().parent_path().parent_path() / "llm_cache";
    const int examples = static_cast<int>(positive(o, "examples"));
    llm_client::ChatClient client(chat, context.log());
    if (!features.empty()) client.check_reachable();

    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i = next++; i < features.size() && !context.stop_requested(); i = next++) {
        const auto& feature = features[i];
        const auto result = client.complete(
            llm_client::explanation_prompt(feature, examples),
            [](const std::string& answer) {
              return llm_client::explanation_from_answer(answer).empty() ? "the answer has no explanation" : "";
            },
            [&] { return context.stop_requested(); });
        if (result.error == "stopped") return;
        dictlab::Label label{.feature = feature.feature, .author = chat.model};
        if (result.content) label.text = llm_client::explanation_from_answer(*result.content);
        else label.error = result.error + " (after " + std::to_string(result.attempts) + " attempts)";
        emit(label);
      }
    };
    std::vector<std::jthread> workers;
    for (std::int64_t t = 0; t < positive(o, "concurrency"); ++t) workers.emplace_back(work);
  }
};

}  // namespace

DICTLAB_PLUGIN(LlmLabeler, describe)
