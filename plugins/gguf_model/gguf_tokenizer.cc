#include "gguf_tokenizer.h"

#include <cstdlib>

#include "bpe_merges.h"
#include "bpe_pretokenizer.h"
#include "byte_level_encoding.h"
#include "dictlab/errors.h"
#include "dictlab/utf8.h"
#include "special_tokens.h"
#include "spm_tokenizer.h"
#include "token_vocabulary.h"
#include "unicode_flags.h"
#include "utf8_replacement.h"

namespace gguf_model {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  std::size_t start = 0;
  for (std::size_t at; (at = s.find(from, start)) != std::string::npos; start = at + from.size())
    out.append(s, start, at - start).append(to);
  out.append(s, start);
  s = std::move(out);
}

// llama.cpp's "clean_up_tokenization_spaces": " ?" " !" " ." " ," lose the
// space, " ' " loses both, " 's" " 'm" " 're" " 've" lose the space.
std::string clean_spaces(const std::string& text) {
  std::string a;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char x = text[i];
    if (i > 0 && text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a += x;
  }
  std::string b;
  std::size_t dropped = std::string::npos;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i];
    // llama.cpp blanks the dropped space in place, so it no longer counts as
    // the space before the next character.
    const bool space_before = i > 0 && a[i - 1] == ' ' && dropped != i - 1;
    if (x == '\'' && i + 1 < a.size() && space_before && a[i + 1] == ' ') {
      b.pop_back();
      b += x;
      dropped = ++i;  // the space after it goes too
      continue;
    }
    b += x;
  }
  std::string c;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const char x = b[i];
    if (i > 0 && b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      const char x2 = i + 2 < b.size() ? b[i + 2] : '\0';
      if (x1 == 's' || x1 == 'm' || (i + 2 < b.size() && ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))))
        c.pop_back();
    }
    c += x;
  }
  return c;
}

}  // namespace

struct GgufTokenizer::Impl {
  std::string source;
  bool spm = false;
  TokenVocabulary vocab;
  std::optional<BpeMergeRanks> ranks;
  BpePreTokenizer pre;
  SpecialTokenIds ids;
  std::vector<std::int32_t> specials;  // longest text first
  std::vector<std::string> pieces;     // token_to_piece(special = true) of every id
  bool add_space_prefix = false;
  bool add_bos = false;
  bool add_eos = false;
  bool clean_spaces = false;

  explicit Impl(const TokenizerSpec& spec) : source(spec.source), vocab(spec) {
    DefaultSpecialIds defaults;
    if (spec.model == "gpt2") {
      pre = bpe_pretokenizer_for(spec.pre, spec.source);
      ranks.emplace(spec.merges);
      clean_spaces = pre.clean_spaces;
      add_bos = pre.add_bos;
      defaults = {pre.bos_by_default ? 11 : kNoToken, 11, kNoToken};
    } else if (spec.model == "llama") {
      spm = true;
      add_space_prefix = true;
      add_bos = true;
      defaults = {1, 2, 0};
    } else {
      throw dictlab::PluginError(spec.source + ": tokenizer.ggml.model is \"" + spec.model +
                                 "\"; this reader implements \"gpt2\" (byte-level BPE) and \"llama\" (SentencePiece)");
    }
    add_space_prefix = spec.add_space_prefix.value_or(add_space_prefix);
    ids = settle_special_tokens(spec, defaults, vocab);
    add_bos = spec.add_bos.value_or(add_bos);
    add_eos = spec.add_eos.value_or(add_eos);
    specials = special_tokens_by_length(vocab);
    pieces.reserve(vocab.size());
    for (std::int32_t id = 0; id < static_cast<std::int32_t>(vocab.size()); ++id) pieces.push_back(piece_of(id));
    strip_after_phi3_specials(spec.general_name);
  }

  std::string piece_of(std::int32_t id) const {
    const std::uint32_t attr = vocab.attr(id);
    const std::string& text = vocab.text(id);
    if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
    if (attr & kAttrNormal) {
      if (!spm) return byte_level_decode(text);
      std::string piece = text;
      replace_all(piece, kSpaceMarker, " ");
      return piece;
    }
    if (attr & kAttrByte) return std::string(1, static_cast<char>(std::strtol(text.substr(3, 2).c_str(), nullptr, 16)));
    return {};
  }

  // llama.cpp strips the spaces after Phi-3's special tokens (but "<unk>",
  // "<s>" and "<|endoftext|>"), and after "</s>".
  void strip_after_phi3_specials(std::string name) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
    for (const std::int32_t id : specials) vocab.add_attr(id, kAttrRstrip);
    if (const auto id = vocab.find("</s>"); id != kNoToken) vocab.add_attr(id, kAttrRstrip);
    for (const std::string_view text : {"<unk>", "<s>", "<|endoftext|>"})
      if (const auto id = vocab.find(text); id != kNoToken) vocab.set_attr(id, vocab.attr(id) & ~kAttrRstrip);
  }

  void check(std::int32_t id) const {
    if (!vocab.contains(id))
      throw dictlab::PluginError(source + ": token id " + std::to_string(id) + " is outside the vocabulary of " +
                                 std::to_string(vocab.size()) + " tokens");
  }

  std::int32_t required(std::int32_t id, const char* what) const {
    if (id == kNoToken)
      throw dictlab::PluginError(source + ": the file asks for a " + std::string(what) +
                                 " token (tokenizer.ggml.add_" + what + "_token) but names none");
    return id;
  }

  void encode_spm(const std::vector<TextFragment>& fragments, std::string_view text,
                  std::vector<std::int32_t>& out) const {
    bool previous_special = true;  // the first piece gets the space prefix too
    for (const TextFragment& fragment : fragments) {
      if (fragment.token != kNoToken) {
        out.push_back(fragment.token);
        previous_special = true;
        continue;
      }
      std::string piece = add_space_prefix && previous_special ? " " : "";
      piece.append(text.substr(fragment.offset, fragment.length));
      replace_all(piece, " ", kSpaceMarker);
      spm_tokenize(piece, vocab, source, out);
      previous_special = false;
    }
  }

  void encode_bpe(const std::vector<TextFragment>& fragments, std::string_view text,
                  std::vector<std::int32_t>& out) const {
    std::string word;
    for (const TextFragment& fragment : fragments) {
      if (fragment.token != kNoToken) {
        out.push_back(fragment.token);
        continue;
      }
      const std::vector<std::uint32_t> cpts = decode_utf8_lenient(text.substr(fragment.offset, fragment.length));
      std::size_t start = 0;
      for (const std::size_t length : split_word_lengths(cpts, pre.regex)) {
        word.clear();
        for (std::size_t i = start; i < start + length; ++i) append_utf8(word, cpts[i]);
        start += length;
        bpe_tokenize_word(byte_level_encode(word), vocab, *ranks, pre.ignore_merges, out);
      }
    }
  }
};

GgufTokenizer::GgufTokenizer(const TokenizerSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
GgufTokenizer::~GgufTokenizer() = default;
GgufTokenizer::GgufTokenizer(GgufTokenizer&&) noexcept = default;
GgufTokenizer& GgufTokenizer::operator=(GgufTokenizer&&) noexcept = default;

std::vector<std::int32_t> GgufTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  const Impl& m = *impl_;
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && m.add_bos) out.push_back(m.required(m.ids.bos, "bos"));
  const auto fragments = split_at_special_tokens(text, m.specials, m.vocab, parse_special);
  if (m.spm) m.encode_spm(fragments, text, out);
  else m.encode_bpe(fragments, text, out);
  if (add_special && m.add_eos) out.push_back(m.required(m.ids.eos, "eos"));
  return out;
}

std::string GgufTokenizer::decode(std::span<const std::int32_t> ids, bool render_special) const {
  const Impl& m = *impl_;
  std::string out;
  bool remove_space = m.add_space_prefix;  // the space the encoder put first
  for (const std::int32_t id : ids) {
    m.check(id);
    const bool hidden = !render_special && (m.vocab.attr(id) & (kAttrUnknown | kAttrControl));
    std::string_view piece = hidden ? std::string_view() : std::string_view(m.pieces[id]);
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    remove_space = false;
    out.append(piece);
  }
  return m.clean_spaces ? clean_spaces(out) : out;
}

std::string GgufTokenizer::decode_text(std::span<const std::int32_t> ids, bool render_special) const {
  return replace_ill_formed_utf8(decode(ids, render_special));
}

const std::string& GgufTokenizer::token_piece(std::int32_t id) const {
  impl_->check(id);
  return impl_->pieces[id];
}

std::string GgufTokenizer::token_text(std::int32_t id) const {
  const std::string& piece = token_piece(id);
  if (!piece.empty() && dictlab::invalid_utf8_at(piece) == std::string_view::npos) return piece;
  return impl_->vocab.text(id);
}

const std::string& GgufTokenizer::vocab_text(std::int32_t id) const {
  impl_->check(id);
  return impl_->vocab.text(id);
}

std::size_t GgufTokenizer::vocab_size() const { return impl_->vocab.size(); }

std::optional<std::int32_t> GgufTokenizer::bos_id() const {
  return impl_->ids.bos == kNoToken ? std::nullopt : std::optional(impl_->ids.bos);
}

std::optional<std::int32_t> GgufTokenizer::eos_id() const {
  return impl_->ids.eos == kNoToken ? std::nullopt : std::optional(impl_->ids.eos);
}

bool GgufTokenizer::adds_bos() const { return impl_->add_bos; }
bool GgufTokenizer::adds_eos() const { return impl_->add_eos; }

bool GgufTokenizer::is_control(std::int32_t id) const {
  impl_->check(id);
  return (impl_->vocab.attr(id) & kAttrControl) != 0;
}

bool GgufTokenizer::is_end_of_generation(std::int32_t id) const { return impl_->ids.end_of_generation.count(id) > 0; }

}  // namespace gguf_model
