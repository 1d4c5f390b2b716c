#include "gguf_tokenizer_from_file.h"

#include <limits>

#include "dictlab/errors.h"

namespace gguf_model {
namespace {

std::optional<std::int64_t> optional_id(const GgufFile& file, std::string_view key) {
  const auto id = file.try_uint(key);
  if (!id) return std::nullopt;
  // Ids past int64 are outside any vocabulary; the tokenizer then falls back
  // to the default as llama.cpp does for an out-of-range id.
  return *id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(*id);
}

// llama.cpp takes scores as float32 or int32 arrays.
std::vector<float> scores_of(const GgufFile& file) {
  constexpr std::string_view key = "tokenizer.ggml.scores";
  const GgufValue* value = file.find(key);
  if (value == nullptr) return {};
  if (value->type == GgufValueType::ARRAY && is_integer_type(value->element_type)) {
    std::vector<float> scores;
    for (const std::int64_t s : file.get_ints(key)) scores.push_back(static_cast<float>(s));
    return scores;
  }
  return file.get_floats(key);
}

std::vector<std::int32_t> token_types_of(const GgufFile& file) {
  constexpr std::string_view key = "tokenizer.ggml.token_type";
  if (file.find(key) == nullptr) return {};
  std::vector<std::int32_t> types;
  for (const std::int64_t t : file.get_ints(key))
    types.push_back(t < 0 || t > 6 ? 0 : static_cast<std::int32_t>(t));  // unknown types are "undefined"
  return types;
}

}  // namespace

TokenizerSpec tokenizer_spec_from_gguf(const GgufFile& file) {
  TokenizerSpec spec;
  spec.source = file.path().string();
  spec.model = file.get_string("tokenizer.ggml.model");
  spec.pre = file.try_string("tokenizer.ggml.pre").value_or("");
  spec.tokens = file.get_strings("tokenizer.ggml.tokens");
  spec.scores = scores_of(file);
  spec.token_types = token_types_of(file);
  if (file.find("tokenizer.ggml.merges") != nullptr) {
    spec.merges = file.get_strings("tokenizer.ggml.merges");
  } else if (spec.model == "gpt2") {
    throw dictlab::PluginError(spec.source + ": tokenizer.ggml.model is \"gpt2\" but the file has no "
                               "tokenizer.ggml.merges (byte-level BPE needs its merge list)");
  }
  spec.bos_id = optional_id(file, "tokenizer.ggml.bos_token_id");
  spec.eos_id = optional_id(file, "tokenizer.ggml.eos_token_id");
  spec.eot_id = optional_id(file, "tokenizer.ggml.eot_token_id");
  spec.eom_id = optional_id(file, "tokenizer.ggml.eom_token_id");
  spec.unk_id = optional_id(file, "tokenizer.ggml.unknown_token_id");
  spec.sep_id = optional_id(file, "tokenizer.ggml.seperator_token_id");
  spec.pad_id = optional_id(file, "tokenizer.ggml.padding_token_id");
  spec.mask_id = optional_id(file, "tokenizer.ggml.mask_token_id");
  spec.fim_pre_id = optional_id(file, "tokenizer.ggml.fim_pre_token_id");
  spec.fim_suf_id = optional_id(file, "tokenizer.ggml.fim_suf_token_id");
  spec.fim_mid_id = optional_id(file, "tokenizer.ggml.fim_mid_token_id");
  spec.fim_pad_id = optional_id(file, "tokenizer.ggml.fim_pad_token_id");
  spec.fim_rep_id = optional_id(file, "tokenizer.ggml.fim_rep_token_id");
  spec.fim_sep_id = optional_id(file, "tokenizer.ggml.fim_sep_token_id");
  spec.add_bos = file.try_bool("tokenizer.ggml.add_bos_token");
  spec.add_eos = file.try_bool("tokenizer.ggml.add_eos_token");
  spec.add_space_prefix = file.try_bool("tokenizer.ggml.add_space_prefix");
  spec.general_name = file.try_string("general.name").value_or("");
  return spec;
}

GgufTokenizer tokenizer_from_gguf(const GgufFile& file) { return GgufTokenizer(tokenizer_spec_from_gguf(file)); }

}  // namespace gguf_model
