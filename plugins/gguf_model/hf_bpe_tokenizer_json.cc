#include "hf_bpe_tokenizer_json.h"

#include <array>

#include "bpe_pretokenizer.h"
#include "hf_pretokenizer_patterns.h"
#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"

namespace gguf_model {
namespace {

using nlohmann::json;
using namespace hf_patterns;

json split(const char* pattern) {
  return {{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}};
}

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

json sequence(json items) { return {{"type", "Sequence"}, {"pretokenizers", std::move(items)}}; }

json pre_tokenizer_json(const BpePreTokenizer& pre, const TokenizerSpec& spec) {
  switch (pre.regex) {
    case PreTokenizerRegex::kGpt2: return sequence({byte_level(true)});
    case PreTokenizerRegex::kDigitsThenGpt2: return sequence({split(kNumberPattern), byte_level(true)});
    case PreTokenizerRegex::kLlama3: return sequence({split(kLlama3Pattern), byte_level(false)});
    case PreTokenizerRegex::kQwen2: return sequence({split(kQwen2Pattern), byte_level(false)});
    default: break;
  }
  throw dictlab::PluginError(spec.source + ": tokenizer.ggml.pre \"" + spec.pre +
                             "\" has no Hugging Face tokenizer.json equivalent here (supported: gpt2, digits-then-gpt2, "
                             "llama3 and qwen2 regex sets)");
}

TokenType type_of(const TokenizerSpec& spec, std::size_t id) {
  return id < spec.token_types.size() ? static_cast<TokenType>(spec.token_types[id]) : TokenType::kNormal;
}

// llama.cpp splits a merge at its first space after the first byte.
json merge_pair(const std::string& merge, const std::string& source) {
  const auto space = merge.find(' ', 1);
  if (space == std::string::npos)
    throw dictlab::PluginError(source + ": tokenizer.ggml.merges entry \"" + merge + "\" has no space");
  return json::array({merge.substr(0, space), merge.substr(space + 1)});
}

json added_token(std::size_t id, const std::string& text, bool special) {
  return {{"id", id},          {"content", text},          {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false},      {"special", special}};
}

json special_token_entry(const std::string& text, std::int64_t id) {
  return {{"id", text}, {"ids", {id}}, {"tokens", {text}}};
}

// BOS/EOS around the text when the spec adds them; null otherwise.
json post_processor_json(const TokenizerSpec& spec) {
  const bool bos = spec.add_bos.value_or(false) && spec.bos_id, eos = spec.add_eos.value_or(false) && spec.eos_id;
  if (!bos && !eos) return nullptr;
  json single = json::array(), pair = json::array(), specials = json::object();
  auto special = [&](std::int64_t id, int type_id) {
    const std::string& text = spec.tokens.at(static_cast<std::size_t>(id));
    specials[text] = special_token_entry(text, id);
    return json{{"SpecialToken", {{"id", text}, {"type_id", type_id}}}};
  };
  for (int part = 0; part < 2; ++part) {
    const char* name = part == 0 ? "A" : "B";
    if (bos) pair.push_back(special(*spec.bos_id, part));
    pair.push_back({{"Sequence", {{"id", name}, {"type_id", part}}}});
    if (eos) pair.push_back(special(*spec.eos_id, part));
    if (part == 0) single = pair;
  }
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};
}

}  // namespace

nlohmann::json hf_tokenizer_json(const TokenizerSpec& spec) {
  if (spec.model != "gpt2")
    throw dictlab::PluginError(spec.source + ": tokenizer.ggml.model is \"" + spec.model +
                               "\"; only byte-level BPE (\"gpt2\") is written as tokenizer.json here");
  const BpePreTokenizer pre = bpe_pretokenizer_for(spec.pre, spec.source);
  json vocab = json::object(), added = json::array();
  for (std::size_t id = 0; id < spec.tokens.size(); ++id) {
    if (vocab.contains(spec.tokens[id]))
      throw dictlab::PluginError(spec.source + ": tokens " + std::to_string(vocab[spec.tokens[id]].get<std::size_t>()) +
                                 " and " + std::to_string(id) + " are both \"" + spec.tokens[id] +
                                 "\"; tokenizer.json maps each text to one id");
    vocab[spec.tokens[id]] = id;
    const TokenType type = type_of(spec, id);
    if (type == TokenType::kControl || type == TokenType::kUnknown || type == TokenType::kUserDefined)
      added.push_back(added_token(id, spec.tokens[id], type != TokenType::kUserDefined));
  }
  json merges = json::array();
  for (const auto& merge : spec.merges) merges.push_back(merge_pair(merge, spec.source));
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre_tokenizer_json(pre, spec)},
          {"post_processor", post_processor_json(spec)},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", pre.ignore_merges},
            {"vocab", vocab},
            {"merges", merges}}}};
}

nlohmann::json hf_tokenizer_config_json(const TokenizerSpec& spec, std::optional<std::int64_t> model_max_length,
                                        const std::optional<std::string>& chat_template) {
  const BpePreTokenizer pre = bpe_pretokenizer_for(spec.pre, spec.source);
  auto text_of = [&](const std::optional<std::int64_t>& id) -> json {
    if (!id || *id < 0 || static_cast<std::size_t>(*id) >= spec.tokens.size()) return nullptr;
    return spec.tokens[static_cast<std::size_t>(*id)];
  };
  json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                 {"bos_token", text_of(spec.bos_id)},
                 {"eos_token", text_of(spec.eos_id)},
                 {"unk_token", text_of(spec.unk_id)},
                 {"pad_token", text_of(spec.pad_id)},
                 {"add_bos_token", spec.add_bos.value_or(pre.add_bos)},
                 {"add_eos_token", spec.add_eos.value_or(false)},
                 {"split_special_tokens", true},
                 {"clean_up_tokenization_spaces", pre.clean_spaces}};
  if (model_max_length) config["model_max_length"] = *model_max_length;
  if (chat_template) config["chat_template"] = *chat_template;
  return config;
}

void write_hf_tokenizer(const std::filesystem::path& folder, const TokenizerSpec& spec,
                        std::optional<std::int64_t> model_max_length, const std::optional<std::string>& chat_template) {
  const json tokenizer = hf_tokenizer_json(spec);
  const json config = hf_tokenizer_config_json(spec, model_max_length, chat_template);
  dictlab::AtomicFile::write_all(folder / "tokenizer.json", tokenizer.dump() + "\n");
  dictlab::AtomicFile::write_all(folder / "tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace gguf_model
