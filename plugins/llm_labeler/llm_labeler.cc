// Labeler: asks an LLM behind an OpenAI-compatible chat-completions endpoint
// to explain each feature from its top examples (Bills et al. 2023). A local
// server (host/llm-server) makes this work offline with no key.
#include <atomic>
#include <optional>

#include "chat_client.h"
#include "endpoint_options.h"
#include "dictlab/sdk.h"
#include "prompts.h"
#include "worker_threads.h"

namespace {

std::vector<dictlab::OptionSpec> options() {
  std::vector<dictlab::OptionSpec> specs = llm_client::endpoint_options(48);
  specs.push_back(
      dictlab::OptionSpec{"examples", dictlab::OptionType::kInt, "Top examples shown per feature.", std::int64_t{5}}
          .at_least(1));
  specs.push_back(dictlab::OptionSpec{"weaker_examples", dictlab::OptionType::kInt,
                                      "Examples from lower activation intervals shown per feature.", std::int64_t{2}}
                      .at_least(0));
  specs.push_back(dictlab::OptionSpec{"near_misses", dictlab::OptionType::kInt,
                                      "Contexts where the feature's top token appears and it is silent, shown per "
                                      "feature; 0: none.",
                                      std::int64_t{2}}
                      .at_least(0));
  specs.push_back(dictlab::OptionSpec{"next_tokens", dictlab::OptionType::kInt,
                                      "Tokens the feature most promotes next (its logit effects) shown; 0: none.",
                                      std::int64_t{5}}
                      .at_least(0));
  for (auto& spec : dictlab::labeler_selection_options()) specs.push_back(std::move(spec));
  return specs;
}

dictlab::PluginDescriptor describe() {
  return {.name = "llm",
          .version = "1.0.0",
          .summary = "Labels features with an LLM over the OpenAI chat-completions API (Bills et al. 2023 prompt).",
          .options = options()};
}

// The label of one feature, or why there is none (any exception included:
// one bad answer must not end the stage); nullopt once the stage is stopped.
std::optional<dictlab::Label> label_one(llm_client::ChatClient& client, const std::string& model,
                                        const dictlab::FeatureEvidence& feature, const llm_client::ExplanationEvidence& shown,
                                        dictlab::RunContext& context) {
  dictlab::Label label{.feature = feature.feature, .author = model};
  try {
    const auto result = client.complete(
        llm_client::explanation_prompt(feature, shown),
        [](const std::string& answer) {
          return llm_client::explanation_from_answer(answer).empty() ? "the answer has no explanation" : "";
        },
        [&] { return context.stop_requested(); });
    if (result.error == "stopped") return std::nullopt;
    if (result.content) label.text = llm_client::explanation_from_answer(*result.content);
    else label.error = result.error + " (after " + std::to_string(result.attempts) + " attempts)";
  } catch (const std::exception& error) {
    label.error = std::string("could not label the feature: ") + error.what();
  }
  return label;
}

class LlmLabeler : public dictlab::Labeler {
 public:
  void label(dictlab::RunContext& context, const std::vector<dictlab::FeatureEvidence>& features,
             const dictlab::LabelSink& emit) override {
    const auto& o = context.options();
    const llm_client::ChatOptions chat = llm_client::chat_options(context);
    const llm_client::ExplanationEvidence shown{.top_examples = static_cast<int>(o.get_int("examples")),
                                                .weaker_examples = static_cast<int>(o.get_int("weaker_examples")),
                                                .near_misses = static_cast<int>(o.get_int("near_misses")),
                                                .next_tokens = static_cast<int>(o.get_int("next_tokens"))};
    llm_client::ChatClient client(chat, context.log());
    if (!features.empty()) client.check_reachable();

    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};  // a worker hit an error it could not record: the others stop
    auto work = [&] {
      for (std::size_t i = next++; i < features.size() && !context.stop_requested() && !failed; i = next++) {
        const auto label = label_one(client, chat.model, features[i], shown, context);
        if (!label) return;  // stopped
        emit(*label);
      }
    };
    llm_client::run_worker_threads(chat.concurrency, work, [&] { failed = true; });
  }
};

}  // namespace

DICTLAB_PLUGIN(LlmLabeler, describe)
