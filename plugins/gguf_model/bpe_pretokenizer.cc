#include "bpe_pretokenizer.h"

#include <array>
#include <string>

#include "dictlab/errors.h"
#include "regex_splits.h"

namespace gguf_model {
namespace {

struct PreTokenizerName {
  std::string_view name;
  BpePreTokenizer settings;
};

constexpr BpePreTokenizer kGpt2{PreTokenizerRegex::kGpt2};
constexpr BpePreTokenizer kGpt2Unclean{PreTokenizerRegex::kGpt2, false};
constexpr BpePreTokenizer kDigits{PreTokenizerRegex::kDigitsThenGpt2};
constexpr BpePreTokenizer kDigitsUnclean{PreTokenizerRegex::kDigitsThenGpt2, false};
constexpr BpePreTokenizer kLlama3{PreTokenizerRegex::kLlama3, true, true, true};
constexpr BpePreTokenizer kLlama3Regex{PreTokenizerRegex::kLlama3};
constexpr BpePreTokenizer kGlm4{PreTokenizerRegex::kLlama3, true, false, false, false};
constexpr BpePreTokenizer kQwen2{PreTokenizerRegex::kQwen2, false};
constexpr BpePreTokenizer kQwen2Clean{PreTokenizerRegex::kQwen2};
constexpr BpePreTokenizer kQwen35{PreTokenizerRegex::kQwen35, false};

// The tokenizer.ggml.pre values llama-vocab.cpp maps to these regex sets,
// with the flags it sets beside them.
constexpr std::array kNames = {
    PreTokenizerName{"gpt-2", kGpt2},          PreTokenizerName{"phi-2", kGpt2},
    PreTokenizerName{"jina-es", kGpt2},        PreTokenizerName{"jina-de", kGpt2},
    PreTokenizerName{"gigachat", kGpt2},       PreTokenizerName{"jina-v2-es", kGpt2},
    PreTokenizerName{"jina-v2-de", kGpt2},     PreTokenizerName{"a.x-4.0", kGpt2},
    PreTokenizerName{"mellum", kGpt2},         PreTokenizerName{"modern-bert", kGpt2},
    PreTokenizerName{"jina-v1-en", kGpt2},     PreTokenizerName{"jina-v2-code", kGpt2},
    PreTokenizerName{"roberta-bpe", kGpt2},    PreTokenizerName{"mpt", kGpt2},
    PreTokenizerName{"olmo", kGpt2},           PreTokenizerName{"jais", kGpt2},
    PreTokenizerName{"exaone4", kGpt2},        PreTokenizerName{"trillion", kGpt2Unclean},
    PreTokenizerName{"granite-docling", kGpt2Unclean},
    PreTokenizerName{"starcoder", kDigits},    PreTokenizerName{"refact", kDigits},
    PreTokenizerName{"command-r", kDigitsUnclean}, PreTokenizerName{"smollm", kDigitsUnclean},
    PreTokenizerName{"codeshell", kDigits},    PreTokenizerName{"exaone", kDigits},
    PreTokenizerName{"minerva-7b", kDigits},   PreTokenizerName{"mellum2", kDigits},
    PreTokenizerName{"llama3", kLlama3},       PreTokenizerName{"llama-v3", kLlama3},
    PreTokenizerName{"llama-bpe", kLlama3},    PreTokenizerName{"falcon3", kLlama3},
    PreTokenizerName{"falcon-h1", kLlama3},    PreTokenizerName{"pixtral", kLlama3},
    PreTokenizerName{"midm-2.0", kLlama3},     PreTokenizerName{"lfm2", kLlama3},
    PreTokenizerName{"jina-v5-nano", kLlama3}, PreTokenizerName{"dbrx", kLlama3Regex},
    PreTokenizerName{"smaug-bpe", kLlama3Regex}, PreTokenizerName{"glm4", kGlm4},
    PreTokenizerName{"chatglm-bpe", kGlm4},    PreTokenizerName{"qwen2", kQwen2},
    PreTokenizerName{"deepseek-r1-qwen", kQwen2}, PreTokenizerName{"kormo", kQwen2},
    PreTokenizerName{"f2llmv2", kQwen2},       PreTokenizerName{"hunyuan", kQwen2},
    PreTokenizerName{"solar-open", kQwen2},    PreTokenizerName{"grok-2", kQwen2},
    PreTokenizerName{"megrez", kQwen2Clean},   PreTokenizerName{"stablelm2", kQwen2Clean},
    PreTokenizerName{"qwen35", kQwen35},
};

}  // namespace

BpePreTokenizer bpe_pretokenizer_for(std::string_view pre, std::string_view source) {
  for (const auto& entry : kNames)
    if (entry.name == pre) return entry.settings;
  std::string known;
  for (const auto& entry : kNames) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw dictlab::PluginError(std::string(source) + ": tokenizer.ggml.pre is \"" + std::string(pre) +
                             "\", a pre-tokenizer this reader does not implement (supported: " + known + ")");
}

std::vector<std::size_t> split_word_lengths(const std::vector<std::uint32_t>& cpts, PreTokenizerRegex regex) {
  if (cpts.empty()) return {};
  const PieceLengths whole{cpts.size()};
  switch (regex) {
    case PreTokenizerRegex::kGpt2: return split_gpt2(cpts, whole);
    case PreTokenizerRegex::kDigitsThenGpt2: return split_gpt2(cpts, split_isolating_numbers(cpts, whole));
    case PreTokenizerRegex::kLlama3: return split_llama3(cpts, whole, {3, false});
    case PreTokenizerRegex::kQwen2: return split_llama3(cpts, whole, {1, false});
    case PreTokenizerRegex::kQwen35: return split_llama3(cpts, whole, {1, true});
  }
  return split_gpt2(cpts, whole);
}

}  // namespace gguf_model
