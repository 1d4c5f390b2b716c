// Dictionaries in dictd format: GCIDE, WordNet, FOLDOC, the Jargon File.
#include <algorithm>
#include <map>

#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

// dictd writes offsets and lengths in base64 digits, most significant first.
std::optional<std::uint64_t> decode_number(std::string_view digits) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::uint64_t value = 0;
  for (const char c : digits) {
    const std::size_t digit = kAlphabet.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    value = value * 64 + digit;
  }
  return value;
}

// WordNet marks cross references as {word}; the braces are noise in prose.
std::string strip_braces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text)
    if (c != '{' && c != '}') out += c;
  return out;
}

void read_dictionary(const Roots& roots, SourceSink& sink, const std::string& name, bool braces) {
  const fs::path dir = roots.system("/usr/share/dictd");
  const auto index = read_file(dir / (name + ".index"));
  if (!index) return;
  const auto body = read_gzip(dir / (name + ".dict.dz"));
  if (!body) {
    sink.warn("cannot read " + (dir / (name + ".dict.dz")).string());
    return;
  }
  sink.saw_input();

  // Several headwords point at one entry; keyed by offset, each entry is
  // emitted once, in the dictionary's own order.
  std::map<std::uint64_t, std::uint64_t> entries;
  for (const std::string_view line : split_lines(*index)) {
    const std::size_t tab1 = line.find('\t');
    const std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) continue;
    const std::string_view headword = line.substr(0, tab1);
    if (headword.starts_with("00-database") || headword.starts_with("00database")) continue;
    const auto offset = decode_number(line.substr(tab1 + 1, tab2 - tab1 - 1));
    const auto length = decode_number(line.substr(tab2 + 1));
    if (!offset || !length || *offset + *length > body->size()) continue;
    entries.emplace(*offset, *length);
  }
  for (const auto& [offset, length] : entries) {
    const std::string_view entry = std::string_view(*body).substr(offset, length);
    // Database metadata is also reachable through ordinary headwords.
    if (entry.starts_with("00-database") || entry.starts_with("00database")) continue;
    if (!sink.emit(braces ? strip_braces(entry) : std::string(entry))) return;
  }
}

}  // namespace

void add_dictd_sources(std::vector<Source>& sources) {
  const struct {
    const char* tag;
    const char* package;
    const char* file;
    bool braces;
  } dictionaries[] = {
      {"reference/gcide", "dict-gcide", "gcide", false},
      {"reference/wordnet", "dict-wn", "wn", true},
      {"reference/foldoc", "dict-foldoc", "foldoc", false},
      {"reference/jargon", "dict-jargon", "jargon", false},
  };
  for (const auto& d : dictionaries) {
    sources.push_back({d.tag, {d.package}, std::string("dictd entries of ") + d.file + ".dict.dz, one per document",
                       [file = std::string(d.file), braces = d.braces](const Roots& roots, SourceSink& sink) {
                         read_dictionary(roots, sink, file, braces);
                       }});
  }
}

}  // namespace debian_pile
