#include "special_tokens.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <string>
#include <utility>

namespace gguf_model {
namespace {

using Texts = std::span<const std::string_view>;

// The token texts llama-vocab.cpp recognises when a file does not name the id.
constexpr std::string_view kEotTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                             "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                             "<end_of_utterance>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
                                "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
                                "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
                                "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                             "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                             "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                             "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["};
// gpt-oss: llama.cpp always renders these.
constexpr std::string_view kAlwaysRenderedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

bool one_of(std::string_view text, Texts texts) { return std::find(texts.begin(), texts.end(), text) != texts.end(); }

// The file's id if it names one inside the vocabulary, else the default (which
// itself is dropped when outside the vocabulary).
std::int32_t settle_id(const std::optional<std::int64_t>& from_file, std::int32_t fallback,
                       const TokenVocabulary& vocab) {
  if (!vocab.contains(fallback)) fallback = kNoToken;
  if (from_file && vocab.contains(*from_file)) return static_cast<std::int32_t>(*from_file);
  return fallback;
}

// Ids llama.cpp finds by text when the file gives none; such a token becomes
// a control token. (llama.cpp takes the first match in hash order; ascending
// ids decide here, which differs only for a vocabulary with two such texts.)
void find_by_text(const TokenVocabulary& vocab, std::int32_t& id, Texts texts, std::vector<std::int32_t>& make_control) {
  if (id != kNoToken) return;
  for (std::int32_t t = 0; t < static_cast<std::int32_t>(vocab.size()); ++t) {
    if (one_of(vocab.text(t), texts) && vocab.find(vocab.text(t)) == t) {
      id = t;
      make_control.push_back(t);
      return;
    }
  }
}

void settle_end_of_generation(TokenVocabulary& vocab, SpecialTokenIds& ids) {
  auto& eog = ids.end_of_generation;
  for (const std::int32_t id : {ids.fim_pad, ids.fim_rep, ids.fim_sep})
    if (id != kNoToken) eog.insert(id);
  vocab.for_each_text([&](const std::string& text, std::int32_t id) {
    if (!one_of(text, kEogTexts)) return;
    eog.insert(id);
    vocab.add_attr(id, kAttrControl);
  });
  vocab.for_each_text([&](const std::string& text, std::int32_t id) {
    if (one_of(text, kAlwaysRenderedTexts)) vocab.set_attr(id, kAttrUserDefined);
  });
  for (const std::int32_t id : {ids.eos, ids.eot, ids.eom})
    if (id != kNoToken) eog.insert(id);

  // o200k_harmony and solar-open: "<|end|>" ends a message, not generation.
  const auto eog_with_text = [&](std::string_view text) {
    for (const std::int32_t id : eog)
      if (vocab.contains(id) && vocab.text(id) == text) return id;
    return kNoToken;
  };
  const std::int32_t end = eog_with_text("<|end|>");
  const bool call = eog_with_text("<|call|>") != kNoToken || eog_with_text("<|calls|>") != kNoToken;
  if (end != kNoToken && call && (eog_with_text("<|return|>") != kNoToken || eog_with_text("<|flush|>") != kNoToken)) {
    eog.erase(end);
    vocab.set_attr(end, kAttrUserDefined);
  }
  // Gemma 4 and PaddleOCR: "</s>" is an ordinary token there.
  const std::int32_t closing_s = eog_with_text("</s>");
  if (closing_s != kNoToken && eog_with_text("<|tool_response>") != kNoToken) {
    eog.erase(closing_s);
    vocab.set_attr(closing_s, kAttrNormal);
  }
}

}  // namespace

SpecialTokenIds settle_special_tokens(const TokenizerSpec& spec, DefaultSpecialIds defaults, TokenVocabulary& vocab) {
  SpecialTokenIds ids;
  ids.bos = settle_id(spec.bos_id, defaults.bos, vocab);
  ids.eos = settle_id(spec.eos_id, defaults.eos, vocab);
  ids.unk = settle_id(spec.unk_id, defaults.unk, vocab);
  ids.eot = settle_id(spec.eot_id, kNoToken, vocab);
  ids.eom = settle_id(spec.eom_id, kNoToken, vocab);
  ids.sep = settle_id(spec.sep_id, kNoToken, vocab);
  ids.pad = settle_id(spec.pad_id, kNoToken, vocab);
  ids.mask = settle_id(spec.mask_id, kNoToken, vocab);
  ids.fim_pre = settle_id(spec.fim_pre_id, kNoToken, vocab);
  ids.fim_suf = settle_id(spec.fim_suf_id, kNoToken, vocab);
  ids.fim_mid = settle_id(spec.fim_mid_id, kNoToken, vocab);
  ids.fim_pad = settle_id(spec.fim_pad_id, kNoToken, vocab);
  ids.fim_rep = settle_id(spec.fim_rep_id, kNoToken, vocab);
  ids.fim_sep = settle_id(spec.fim_sep_id, kNoToken, vocab);

  std::vector<std::int32_t> make_control;
  find_by_text(vocab, ids.eot, kEotTexts, make_control);
  find_by_text(vocab, ids.eom, kEomTexts, make_control);
  find_by_text(vocab, ids.fim_pre, kFimPreTexts, make_control);
  find_by_text(vocab, ids.fim_suf, kFimSufTexts, make_control);
  find_by_text(vocab, ids.fim_mid, kFimMidTexts, make_control);
  find_by_text(vocab, ids.fim_pad, kFimPadTexts, make_control);
  find_by_text(vocab, ids.fim_rep, kFimRepTexts, make_control);
  find_by_text(vocab, ids.fim_sep, kFimSepTexts, make_control);
  for (const std::int32_t id : make_control) vocab.add_attr(id, kAttrControl);

  // Control tokens named "unused" are marked unused (they still render as
  // control tokens; the mark only matters to samplers).
  vocab.for_each_text([&](const std::string& text, std::int32_t id) {
    if ((vocab.attr(id) & kAttrControl) && text.find("unused") != std::string::npos) vocab.add_attr(id, kAttrUnused);
  });
  settle_end_of_generation(vocab, ids);
  return ids;
}

std::vector<std::int32_t> special_tokens_by_length(const TokenVocabulary& vocab) {
  std::vector<std::int32_t> ids;
  for (std::int32_t id = 0; id < static_cast<std::int32_t>(vocab.size()); ++id)
    if (vocab.attr(id) & (kAttrControl | kAttrUserDefined | kAttrUnknown)) ids.push_back(id);
  // llama.cpp's std::sort leaves the order of equal lengths unspecified; a
  // stable order only matters for two equally long tokens that overlap in text.
  std::stable_sort(ids.begin(), ids.end(),
                   [&](std::int32_t a, std::int32_t b) { return vocab.text(a).size() > vocab.text(b).size(); });
  return ids;
}

std::vector<TextFragment> split_at_special_tokens(std::string_view text, const std::vector<std::int32_t>& specials,
                                                  const TokenVocabulary& vocab, bool parse_special) {
  std::vector<TextFragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({kNoToken, 0, text.size()});
  const auto is_space = [&](std::size_t i) { return std::isspace(static_cast<unsigned char>(text[i])) != 0; };
  for (const std::int32_t special : specials) {
    const std::uint32_t attr = vocab.attr(special);
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& needle = vocab.text(special);
    if (text.find(needle) == std::string_view::npos) continue;  // nowhere, so in no fragment
    std::vector<TextFragment> next;
    next.reserve(fragments.size() + 2);
    for (const TextFragment& fragment : fragments) {
      if (fragment.token != kNoToken) {
        next.push_back(fragment);
        continue;
      }
      std::size_t offset = fragment.offset;
      std::size_t length = fragment.length;
      while (length > 0) {
        const std::size_t match = text.substr(0, offset + length).find(needle, offset);
        if (match == std::string_view::npos) break;
        std::size_t left = match - offset;
        if (attr & kAttrLstrip)
          while (left > 0 && is_space(offset + left - 1)) --left;
        if (left > 0) next.push_back({kNoToken, offset, left});
        next.push_back({special, 0, 0});
        std::size_t right_offset = match + needle.size();
        std::size_t right = offset + length - right_offset;
        if (attr & kAttrRstrip)
          while (right > 0 && is_space(right_offset)) ++right_offset, --right;
        offset = right_offset;
        length = right;
      }
      if (length > 0) next.push_back({kNoToken, offset, length});
    }
    fragments = std::move(next);
  }
  return fragments;
}

}  // namespace gguf_model
