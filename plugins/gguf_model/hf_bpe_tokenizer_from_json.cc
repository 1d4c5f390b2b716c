// Reading tokenizer.json (and tokenizer_config.json) into a TokenizerSpec.

#include <fstream>
#include <sstream>
#include <unordered_map>

#include "bpe_pretokenizer.h"
#include "dictlab/errors.h"
#include "hf_bpe_tokenizer_json.h"
#include "hf_pretokenizer_patterns.h"

namespace gguf_model {

using nlohmann::json;
using namespace hf_patterns;

namespace {

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw dictlab::PluginError("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  json parsed = json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) throw dictlab::PluginError(path.string() + ": not a JSON object");
  return parsed;
}

// The pre-tokenizer steps, a Sequence flattened.
std::vector<json> steps_of(const json& pre) {
  if (pre.is_null()) return {};
  if (pre.value("type", "") == "Sequence") {
    std::vector<json> steps;
    for (const auto& item : pre.value("pretokenizers", json::array()))
      for (auto& step : steps_of(item)) steps.push_back(std::move(step));
    return steps;
  }
  return {pre};
}

bool is_split(const json& step, const char* pattern) {
  return step.value("type", "") == "Split" && step.contains("pattern") && step["pattern"].is_object() &&
         step["pattern"].value("Regex", "") == pattern && step.value("behavior", "") == "Isolated" &&
         !step.value("invert", false);
}

bool is_byte_level(const json& step, bool use_regex) {
  return step.value("type", "") == "ByteLevel" && step.value("use_regex", true) == use_regex &&
         !step.value("add_prefix_space", false);
}

bool isolates_digits(const json& step) {
  return is_split(step, kNumberPattern) || (step.value("type", "") == "Digits" && step.value("individual_digits", false));
}

PreTokenizerRegex regex_of(const json& tokenizer, const std::string& source) {
  const auto steps = steps_of(tokenizer.value("pre_tokenizer", json()));
  if (steps.size() == 1 && is_byte_level(steps[0], true)) return PreTokenizerRegex::kGpt2;
  if (steps.size() == 2 && isolates_digits(steps[0]) && is_byte_level(steps[1], true))
    return PreTokenizerRegex::kDigitsThenGpt2;
  if (steps.size() == 2 && is_split(steps[0], kLlama3Pattern) && is_byte_level(steps[1], false))
    return PreTokenizerRegex::kLlama3;
  if (steps.size() == 2 && is_split(steps[0], kQwen2Pattern) && is_byte_level(steps[1], false))
    return PreTokenizerRegex::kQwen2;
  throw dictlab::PluginError(source + ": pre_tokenizer " + tokenizer.value("pre_tokenizer", json()).dump() +
                             " is not one this reader runs (ByteLevel with GPT-2's regex, optionally after isolating "
                             "digits, or the Llama 3 / Qwen2 Split regex then ByteLevel)");
}

std::string pre_name(PreTokenizerRegex regex, bool ignore_merges, bool clean_spaces, const std::string& source) {
  for (const char* name : kPreNames) {
    const BpePreTokenizer pre = bpe_pretokenizer_for(name, source);
    if (pre.regex == regex && pre.ignore_merges == ignore_merges &&
        (pre.clean_spaces == clean_spaces || regex == PreTokenizerRegex::kLlama3))
      return name;
  }
  throw dictlab::PluginError(source + ": model.ignore_merges = " + (ignore_merges ? "true" : "false") +
                             " has no llama.cpp pre-tokenizer with this regex");
}

// A special token in tokenizer_config.json: a string or {"content": ...}.
std::optional<std::string> token_text(const json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return std::nullopt;
}

void read_vocabulary(const json& tokenizer, TokenizerSpec& spec) {
  const json& model = tokenizer["model"];
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw dictlab::PluginError(spec.source + ": model.vocab is missing or not an object");
  std::vector<std::pair<std::string, std::int64_t>> entries;
  for (const auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0)
      throw dictlab::PluginError(spec.source + ": model.vocab[\"" + text + "\"] is not a non-negative integer id");
    entries.emplace_back(text, id.get<std::int64_t>());
  }
  std::unordered_map<std::int64_t, bool> special;
  for (const auto& token : tokenizer.value("added_tokens", json::array())) {
    if (!token.contains("id") || !token["id"].is_number_integer() || !token.contains("content") ||
        !token["content"].is_string())
      throw dictlab::PluginError(spec.source + ": added_tokens entry " + token.dump() + " has no integer id and content");
    entries.emplace_back(token["content"].get<std::string>(), token["id"].get<std::int64_t>());
    special[token["id"].get<std::int64_t>()] = token.value("special", false);
  }
  std::int64_t size = 0;
  for (const auto& entry : entries) size = std::max(size, entry.second + 1);
  std::vector<bool> seen(static_cast<std::size_t>(size));
  spec.tokens.assign(static_cast<std::size_t>(size), "");
  for (const auto& [text, id] : entries) {
    const auto i = static_cast<std::size_t>(id);
    if (seen[i] && spec.tokens[i] != text)
      throw dictlab::PluginError(spec.source + ": id " + std::to_string(id) + " is both \"" + spec.tokens[i] +
                                 "\" and \"" + text + "\"");
    seen[i] = true, spec.tokens[i] = text;
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i]) throw dictlab::PluginError(spec.source + ": no token has id " + std::to_string(i));
  spec.token_types.assign(spec.tokens.size(), static_cast<std::int32_t>(TokenType::kNormal));
  for (const auto& [id, is_special] : special)
    spec.token_types[static_cast<std::size_t>(id)] =
        static_cast<std::int32_t>(is_special ? TokenType::kControl : TokenType::kUserDefined);
}

void read_merges(const json& model, TokenizerSpec& spec) {
  for (const auto& merge : model.value("merges", json::array())) {
    if (merge.is_string()) spec.merges.push_back(merge.get<std::string>());
    else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string())
      spec.merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    else throw dictlab::PluginError(spec.source + ": model.merges entry " + merge.dump() + " is not a pair of tokens");
  }
}

// BOS/EOS from a TemplateProcessing post-processor: what `tokenizers` adds.
void read_post_processor(const json& tokenizer, const std::unordered_map<std::string, std::int64_t>& ids,
                         TokenizerSpec& spec) {
  const json post = tokenizer.value("post_processor", json());
  if (post.is_null() || post.value("type", "") != "TemplateProcessing") return;
  const json single = post.value("single", json::array());
  auto special_id = [&](const json& item) -> std::optional<std::int64_t> {
    if (!item.contains("SpecialToken")) return std::nullopt;
    const auto found = ids.find(item["SpecialToken"].value("id", ""));
    return found == ids.end() ? std::nullopt : std::optional(found->second);
  };
  if (!single.empty()) {
    if (const auto id = special_id(single.front())) spec.bos_id = id, spec.add_bos = true;
    if (const auto id = special_id(single.back())) spec.eos_id = id, spec.add_eos = true;
  }
}

}  // namespace

TokenizerSpec tokenizer_spec_from_hf_folder(const std::filesystem::path& folder) {
  const auto path = folder / "tokenizer.json";
  const json tokenizer = read_json(path);
  TokenizerSpec spec;
  spec.source = path.string();
  spec.model = "gpt2";
  if (!tokenizer.contains("model") || !tokenizer["model"].is_object() ||
      tokenizer["model"].value("type", "BPE") != "BPE" || tokenizer["model"].value("byte_fallback", false))
    throw dictlab::PluginError(spec.source + ": model is not a byte-level BPE (type \"BPE\" without byte_fallback)");
  if (tokenizer.contains("normalizer") && !tokenizer["normalizer"].is_null())
    throw dictlab::PluginError(spec.source + ": normalizer " + tokenizer["normalizer"].dump() +
                               " is not supported (byte-level BPE takes text as-is)");
  read_vocabulary(tokenizer, spec);
  read_merges(tokenizer["model"], spec);
  const auto config_path = folder / "tokenizer_config.json";
  const json config = std::filesystem::exists(config_path) ? read_json(config_path) : json::object();
  std::unordered_map<std::string, std::int64_t> ids;
  for (std::size_t id = 0; id < spec.tokens.size(); ++id) ids.emplace(spec.tokens[id], id);
  auto id_of = [&](const char* key) -> std::optional<std::int64_t> {
    const auto text = token_text(config, key);
    if (!text) return std::nullopt;
    const auto found = ids.find(*text);
    if (found == ids.end())
      throw dictlab::PluginError(config_path.string() + ": " + key + " \"" + *text + "\" is not in the vocabulary");
    return found->second;
  };
  spec.bos_id = id_of("bos_token"), spec.eos_id = id_of("eos_token");
  spec.unk_id = id_of("unk_token"), spec.pad_id = id_of("pad_token");
  spec.add_bos = false, spec.add_eos = false;  // what `tokenizers` does without a post-processor
  read_post_processor(tokenizer, ids, spec);
  const bool clean = config.contains("clean_up_tokenization_spaces") && config["clean_up_tokenization_spaces"].is_boolean()
                         ? config["clean_up_tokenization_spaces"].get<bool>()
                         : false;
  spec.pre = pre_name(regex_of(tokenizer, spec.source), tokenizer["model"].value("ignore_merges", false), clean,
                      spec.source);
  return spec;
}

}  // namespace gguf_model
