#pragma once

// BERT's uncased WordPiece tokenizer, as Hugging Face's `tokenizers` runs
// all-MiniLM-L6-v2's tokenizer.json: the words of bert_words.h, each split
// greedily into the longest vocabulary pieces from its start ("##" marks a
// piece that continues a word); a word with a part no piece covers, or longer
// than 100 characters, is one [UNK]. The sequence is [CLS] pieces [SEP].
// Unlike Hugging Face, "[SEP]" or "[MASK]" typed in the text is spelled out
// as punctuation and letters, not read as the special token.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace label_scores {

class WordpieceTokenizer {
 public:
  // vocab.txt: one piece per line, its id the line number from 0. Throws
  // dictlab::PluginError naming the file when it cannot be read or lacks
  // [UNK], [CLS] or [SEP].
  static WordpieceTokenizer from_vocab_file(const std::filesystem::path& vocab_txt);
  // `where` names the vocabulary in errors.
  WordpieceTokenizer(const std::vector<std::string>& pieces, const std::string& where);

  // The ids of [CLS], the text's pieces and [SEP]: at most `max_length`
  // (>= 2) ids, the pieces cut at the end to fit.
  std::vector<std::int32_t> encode(std::string_view text, std::size_t max_length) const;
  // One word's piece ids, or [UNK] alone.
  std::vector<std::int32_t> word_pieces(const std::string& word) const;

  std::int32_t padding_id() const { return pad_; }
  std::size_t vocabulary_size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, std::int32_t> ids_;
  std::int32_t unk_ = 0, cls_ = 0, sep_ = 0, pad_ = 0;
};

}  // namespace label_scores
