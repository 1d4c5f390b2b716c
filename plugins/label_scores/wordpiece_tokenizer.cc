#include "wordpiece_tokenizer.h"

#include <fstream>

#include "bert_words.h"
#include "dictlab/errors.h"

namespace label_scores {
namespace {

constexpr std::size_t kMaxCharactersPerWord = 100;  // tokenizer.json's max_input_chars_per_word
constexpr char kContinuation[] = "##";

bool continues_character(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

std::size_t characters(const std::string& word) {
  std::size_t n = 0;
  for (char byte : word) n += !continues_character(byte);
  return n;
}

}  // namespace

WordpieceTokenizer WordpieceTokenizer::from_vocab_file(const std::filesystem::path& vocab_txt) {
  std::ifstream in(vocab_txt, std::ios::binary);
  if (!in) throw dictlab::PluginError("cannot read the WordPiece vocabulary " + vocab_txt.string());
  std::vector<std::string> pieces;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pieces.push_back(line);
  }
  return WordpieceTokenizer(pieces, vocab_txt.string());
}

WordpieceTokenizer::WordpieceTokenizer(const std::vector<std::string>& pieces, const std::string& where) {
  for (std::size_t id = 0; id < pieces.size(); ++id)
    ids_.emplace(pieces[id], static_cast<std::int32_t>(id));  // the first of repeated lines wins, as in transformers
  auto special = [&](const std::string& piece) {
    const auto it = ids_.find(piece);
    if (it == ids_.end()) throw dictlab::PluginError(where + ": the vocabulary has no " + piece);
    return it->second;
  };
  unk_ = special("[UNK]");
  cls_ = special("[CLS]");
  sep_ = special("[SEP]");
  pad_ = special("[PAD]");
}

std::vector<std::int32_t> WordpieceTokenizer::word_pieces(const std::string& word) const {
  if (characters(word) > kMaxCharactersPerWord) return {unk_};
  std::vector<std::int32_t> out;
  for (std::size_t start = 0; start < word.size();) {
    // The longest piece from `start`, shrinking one character at a time.
    std::size_t end = word.size();
    std::int32_t found = -1;
    while (end > start) {
      const std::string piece = (start > 0 ? kContinuation : "") + word.substr(start, end - start);
      if (const auto it = ids_.find(piece); it != ids_.end()) {
        found = it->second;
        break;
      }
      do --end;
      while (end > start && continues_character(word[end]));
    }
    if (found < 0) return {unk_};
    out.push_back(found);
    start = end;
  }
  return out;
}

std::vector<std::int32_t> WordpieceTokenizer::encode(std::string_view text, std::size_t max_length) const {
  const std::size_t room = max_length < 2 ? 0 : max_length - 2;
  std::vector<std::int32_t> ids = {cls_};
  for (const auto& word : bert_words(text)) {
    for (std::int32_t id : word_pieces(word)) {
      if (ids.size() - 1 >= room) break;
      ids.push_back(id);
    }
    if (ids.size() - 1 >= room) break;
  }
  ids.push_back(sep_);
  return ids;
}

}  // namespace label_scores
