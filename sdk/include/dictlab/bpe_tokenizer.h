#pragma once

// SentencePiece's BPE encoding, re-implemented over the vocabulary a
// sentencepiece_bpe stage exports as dictlab_tokenizer.json (its
// tokenizer.json is Hugging Face's format: dictlab/hf_tokenizer_json.h), so
// that model plugins need not link libsentencepiece (whose bundled protobuf
// clashes with LibTorch's in one process) and the browser can mirror it line
// by line.
// The tokenizer stage checks that this encoder agrees with SentencePiece on
// held-out text before it finishes.
//
// dictlab_tokenizer.json: {"type": "sentencepiece_bpe", "eos_id": 1,
//                          "pieces": [[piece, score, type], ...]}  type: n, b(yte), c(ontrol), u(nknown)

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dictlab/errors.h"

namespace dictlab {

class BpeTokenizer {
 public:
  // `where` names the source in errors (the file, for from_file). Every piece
  // is checked here, so encode and decode can index by it without checks.
  static BpeTokenizer from_json(const nlohmann::json& json, const std::string& where = "dictlab_tokenizer.json") {
    BpeTokenizer t;
    if (!json.is_object()) throw PluginError(where + ": not a JSON object");
    const auto pieces = json.find("pieces");
    if (pieces == json.end() || !pieces->is_array())
      throw PluginError(where + ": no \"pieces\" array");
    if (pieces->size() > std::size_t(std::numeric_limits<std::int32_t>::max()))
      throw PluginError(where + ": too many pieces");
    t.pieces_.reserve(pieces->size());
    for (std::size_t id = 0; id < pieces->size(); ++id) t.add_piece((*pieces)[id], static_cast<std::int32_t>(id), where);
    t.eos_id_ = read_eos_id(json, t.vocab_size(), where);
    return t;
  }
  static BpeTokenizer from_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw PluginError("cannot read tokenizer " + path + ": " + std::strerror(errno));
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) throw PluginError(path + ": not valid JSON");
    return from_json(json, path);
  }

  std::int32_t eos_id() const { return eos_id_; }
  std::int64_t vocab_size() const { return static_cast<std::int64_t>(pieces_.size()); }

  std::vector<std::int32_t> encode(std::string_view text) const {
    // Spaces become U+2581 "▁", as SentencePiece escapes them.
    std::string escaped;
    for (char c : text) escaped += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);

    struct Symbol {
      int prev, next;
      std::size_t begin, length;  // a byte range of `escaped`; length 0 once merged away
    };
    std::vector<Symbol> symbols;
    for (std::size_t i = 0; i < escaped.size();) {
      const std::size_t n = std::min(utf8_length(static_cast<unsigned char>(escaped[i])), escaped.size() - i);
      symbols.push_back({static_cast<int>(symbols.size()) - 1, static_cast<int>(symbols.size()) + 1, i, n});
      i += n;
    }
    if (symbols.empty()) return {};
    symbols.back().next = -1;

    struct Pair {
      float score;
      int left, right;
      std::size_t length;
    };
    // Highest score first; on ties the leftmost pair, as in SentencePiece.
    auto worse = [](const Pair& a, const Pair& b) { return a.score == b.score ? a.left > b.left : a.score < b.score; };
    std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
    auto consider = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      const std::size_t length = symbols[left].length + symbols[right].length;
      auto it = normal_.find(std::string_view(escaped).substr(symbols[left].begin, length));
      if (it != normal_.end()) agenda.push({it->second.second, left, right, length});
    };
    for (std::size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!agenda.empty()) {
      const Pair top = agenda.top();
      agenda.pop();
      Symbol& left = symbols[top.left];
      Symbol& right = symbols[top.right];
      if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;  // stale
      left.length = top.length;
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = top.left;
      right.length = 0;
      consider(left.prev, top.left);
      consider(top.left, left.next);
    }

    std::vector<std::int32_t> ids;
    for (int i = 0; i >= 0; i = symbols[i].next) {
      const std::string_view piece = std::string_view(escaped).substr(symbols[i].begin, symbols[i].length);
      auto it = normal_.find(piece);
      if (it != normal_.end()) {
        ids.push_back(it->second.first);
        continue;
      }
      for (unsigned char byte : piece) {  // byte fallback
        const std::int32_t id = byte_ids_[byte];
        ids.push_back(id >= 0 ? id : unk_id_);
      }
    }
    return ids;
  }

  std::string decode(const std::vector<std::int32_t>& ids) const {
    std::string text;
    for (std::int32_t id : ids) {
      if (id < 0 || id >= vocab_size()) continue;
      const auto& [piece, type, byte] = pieces_[static_cast<std::size_t>(id)];
      if (type == 'b') text += static_cast<char>(byte);
      else if (type == 'n') text += piece;
      else if (type == 'u') text += "\xE2\x81\x87";  // " ⁇ ", as SentencePiece shows unknowns
    }
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
        out += ' ';
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }

 private:
  // [piece, score, type] with type n(ormal), b(yte), c(ontrol) or u(nknown).
  void add_piece(const nlohmann::json& entry, std::int32_t id, const std::string& where) {
    const std::string at = where + ": piece " + std::to_string(id);
    if (!entry.is_array() || entry.size() < 3 || !entry[0].is_string() || !entry[1].is_number() || !entry[2].is_string())
      throw PluginError(at + " is not [piece, score, type]: " + entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 80));
    const std::string piece = entry[0].get<std::string>();
    // Clamped: a double outside float's range has no defined conversion.
    const float score = static_cast<float>(std::clamp(entry[1].get<double>(), double(std::numeric_limits<float>::lowest()),
                                                      double(std::numeric_limits<float>::max())));
    const std::string type = entry[2].get<std::string>();
    if (type != "n" && type != "b" && type != "c" && type != "u")
      throw PluginError(at + " ('" + piece + "') has type '" + type + "', not n, b, c or u");
    const unsigned char byte = type == "b" ? parse_byte_piece(piece, at) : 0;
    pieces_.push_back({piece, type[0], byte});
    if (type == "n") normal_.emplace(piece, std::make_pair(id, score));
    else if (type == "b") byte_ids_[byte] = id;
    else if (type == "u") unk_id_ = id;
  }

  // A byte piece is exactly "<0xHH>"; anything else (say "<0x-9>") would
  // index byte_ids_ out of its 256 entries.
  static unsigned char parse_byte_piece(const std::string& piece, const std::string& at) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>' || hex(piece[3]) < 0 || hex(piece[4]) < 0)
      throw PluginError(at + " is a byte piece '" + piece + "', not <0xHH> with two hex digits");
    return static_cast<unsigned char>(hex(piece[3]) * 16 + hex(piece[4]));
  }

  // SentencePiece writes -1 when a model has no end-of-sequence piece.
  static std::int32_t read_eos_id(const nlohmann::json& json, std::int64_t vocab_size, const std::string& where) {
    const auto eos = json.find("eos_id");
    if (eos == json.end()) return 1;
    if (!eos->is_number_integer() || eos->get<std::int64_t>() < -1 || eos->get<std::int64_t>() >= vocab_size)
      throw PluginError(where + ": eos_id " + eos->dump() + " is not a piece id (0 to " +
                        std::to_string(vocab_size - 1) + ") or -1");
    return static_cast<std::int32_t>(eos->get<std::int64_t>());
  }

  static std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead >> 5) == 0x6) return 2;
    if ((lead >> 4) == 0xE) return 3;
    if ((lead >> 3) == 0x1E) return 4;
    return 1;  // a stray continuation byte stands alone
  }

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Piece {
    std::string text;
    char type;           // n, b, c or u
    unsigned char byte;  // the byte a b piece stands for
  };
  std::vector<Piece> pieces_;
  std::unordered_map<std::string, std::pair<std::int32_t, float>, Hash, std::equal_to<>> normal_;
  std::int32_t byte_ids_[256] = {-1};
  std::int32_t unk_id_ = 0;
  std::int32_t eos_id_ = 1;

  BpeTokenizer() { std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1); }
};

}  // namespace dictlab
