#pragma once

// dictlab's SentencePiece BPE vocabulary (dictlab_tokenizer.json, see
// dictlab/bpe_tokenizer.h) as the Hugging Face `tokenizers` file, so that
// `tokenizers.Tokenizer.from_file` and `transformers.AutoTokenizer` give the
// ids dictlab::BpeTokenizer gives.
//
// How the two algorithms line up: BpeTokenizer merges the adjacent pair whose
// concatenation is the highest-scored normal piece. A Hugging Face BPE merges
// the adjacent pair of lowest rank. Listing, for every normal piece from the
// highest score down, each split of it into two normal pieces gives the same
// choice. Where they could differ: two distinct pieces with equal scores
// (SentencePiece gives merged pieces distinct scores) and one piece reachable
// by two overlapping splits at once ("ab"+"a" beside "a"+"ba"), where
// SentencePiece takes the leftmost and Hugging Face the lower rank.
//
// No added tokens: Hugging Face would match "</s>" or "<unk>" typed in the
// text and give the control id, where SentencePiece spells them out. The
// tokenizer_config.json names eos/unk for transformers and sets
// split_special_tokens so that it, too, spells them out.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/bpe_tokenizer.h"
#include "dictlab/errors.h"

namespace dictlab {

namespace hf_tokenizer_detail {

struct VocabularyPiece {
  std::string text;
  double score;
  char type;  // n, b, c or u
};

// The pieces, checked by BpeTokenizer's own reader first so that both files
// describe one vocabulary or neither is written.
inline std::vector<VocabularyPiece> read_pieces(const nlohmann::json& vocabulary, const std::string& where) {
  (void)BpeTokenizer::from_json(vocabulary, where);
  std::vector<VocabularyPiece> pieces;
  for (const auto& entry : vocabulary.at("pieces"))
    pieces.push_back({entry[0].get<std::string>(), entry[1].get<double>(), entry[2].get<std::string>()[0]});
  return pieces;
}

inline std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Every split of each normal piece into two normal pieces, highest-scored
// piece first (ties by id, the order SentencePiece wrote them in).
inline nlohmann::json merges(const std::vector<VocabularyPiece>& pieces) {
  std::unordered_map<std::string, std::size_t> normal;
  std::vector<std::size_t> order;
  for (std::size_t id = 0; id < pieces.size(); ++id)
    if (pieces[id].type == 'n') {
      normal.emplace(pieces[id].text, id);
      order.push_back(id);
    }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pieces[a].score > pieces[b].score; });
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t id : order) {
    const std::string& text = pieces[id].text;
    for (std::size_t cut = utf8_length(static_cast<unsigned char>(text[0])); cut < text.size();
         cut += utf8_length(static_cast<unsigned char>(text[cut]))) {
      const std::string left = text.substr(0, cut), right = text.substr(cut);
      if (normal.contains(left) && normal.contains(right)) list.push_back({left, right});
    }
  }
  return list;
}

}  // namespace hf_tokenizer_detail

// The Hugging Face tokenizer.json for a dictlab vocabulary. `where` names the
// source in errors.
inline nlohmann::json hugging_face_tokenizer_json(const nlohmann::json& vocabulary,
                                                  const std::string& where = "dictlab_tokenizer.json") {
  const auto pieces = hf_tokenizer_detail::read_pieces(vocabulary, where);
  nlohmann::json vocab = nlohmann::json::object();
  std::optional<std::string> unk;
  for (std::size_t id = 0; id < pieces.size(); ++id) {
    vocab[pieces[id].text] = id;
    if (pieces[id].type == 'u' && !unk) unk = pieces[id].text;
  }
  if (vocab.size() != pieces.size()) throw PluginError(where + ": two pieces have the same text");
  const std::string space = "\xE2\x96\x81";  // U+2581, as SentencePiece escapes spaces
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", nlohmann::json::array()},
      // Only the ASCII space is escaped: the stage trains with identity
      // normalisation and no dummy prefix.
      {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", space}}},
      {"pre_tokenizer", nullptr},
      {"post_processor", nullptr},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", space}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}}}}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", unk ? nlohmann::json(*unk) : nlohmann::json(nullptr)},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", true},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", hf_tokenizer_detail::merges(pieces)}}},
  };
}

// tokenizer_config.json for transformers.AutoTokenizer: no BOS (the toy
// models never saw one), the end-of-document piece as eos.
inline nlohmann::json hugging_face_tokenizer_config(const nlohmann::json& vocabulary,
                                                    std::optional<std::int64_t> model_max_length,
                                                    const std::string& where = "dictlab_tokenizer.json") {
  const auto tokenizer = BpeTokenizer::from_json(vocabulary, where);
  const auto pieces = hf_tokenizer_detail::read_pieces(vocabulary, where);
  nlohmann::json config = {
      {"tokenizer_class", "PreTrainedTokenizerFast"},
      {"bos_token", nullptr},
      {"add_bos_token", false},
      {"add_eos_token", false},
      {"split_special_tokens", true},
      {"clean_up_tokenization_spaces", false},
  };
  if (tokenizer.eos_id() >= 0) config["eos_token"] = pieces[static_cast<std::size_t>(tokenizer.eos_id())].text;
  for (const auto& piece : pieces)
    if (piece.type == 'u') {
      config["unk_token"] = piece.text;
      break;
    }
  if (model_max_length) config["model_max_length"] = *model_max_length;
  return config;
}

// Writes tokenizer.json and tokenizer_config.json into `dir`.
inline void write_hugging_face_tokenizer(const std::filesystem::path& dir, const nlohmann::json& vocabulary,
                                         std::optional<std::int64_t> model_max_length = std::nullopt,
                                         const std::string& where = "dictlab_tokenizer.json") {
  AtomicFile::write_all(dir / "tokenizer.json", hugging_face_tokenizer_json(vocabulary, where).dump() + "\n");
  AtomicFile::write_all(dir / "tokenizer_config.json",
                        hugging_face_tokenizer_config(vocabulary, model_max_length, where).dump(2) + "\n");
}

}  // namespace dictlab
