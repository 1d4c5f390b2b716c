// The smallest useful plugin: a dataset of `count` numbered greetings.
#include <dictlab/sdk.h>

namespace {

dictlab::PluginDescriptor describe() {
  return {.name = "hello_dataset",
          .version = "0.1.0",
          .summary = "Numbered greetings, to show how a plugin is written.",
          .options = {
              {"greeting", dictlab::OptionType::kString, "What each document says.", std::string("hello")},
              dictlab::OptionSpec{"count", dictlab::OptionType::kInt, "How many documents.", std::int64_t{3}}
                  .at_least(0),
          }};
}

class HelloDataset : public dictlab::Dataset {
 public:
  void read(dictlab::RunContext& context, const dictlab::DocumentSink& emit) override {
    const std::int64_t count = context.options().get_int("count");
    for (std::int64_t i = 0; i < count; ++i)
      if (!emit({context.options().get_string("greeting") + " #" + std::to_string(i), "greetings"})) return;
  }
};

}  // namespace

DICTLAB_PLUGIN(HelloDataset, describe)
