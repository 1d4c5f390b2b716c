// Labeler: asks an LLM behind an OpenAI-compatible chat-completions endpoint
// to explain each feature from its top examples (Bills et al. 2023). A local
// server (host/llm-server) makes this work offline with no key.
#include <atomic>
#include <thread>

#include "chat_client.h"
#include "endpoint_options.h"
#include "dictlab/sdk.h"
#include "explanation_prompt.h"

namespace {

std::vector<dictlab::OptionSpec> options() {
  std::vector<dictlab::OptionSpec> specs = llm_client::endpoint_options(48);
  specs.push_back({"examples", dictlab::OptionType::kInt, "Top examples shown per feature.", std::int64_t{5}});
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
    const llm_client::ChatOptions chat = llm_client::chat_options(context);
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
    for (std::int64_t t = 0; t < chat.concurrency; ++t) workers.emplace_back(work);
  }
};

}  // namespace

DICTLAB_PLUGIN(LlmLabeler, describe)
