// fortune(6) cookie files: one document per record (records end at a line
// holding only "%"), one source per language.
#include <set>

#include "emit.h"
#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

// Top-level files that are not English; every other top-level file is.
const std::set<std::string> kChinese = {"chinese", "tang300", "song100"};
const std::set<std::string> kPortuguese = {"brasil"};

bool cookie_file(const fs::path& file) {
  // .dat is strfile's binary index; .u8 files are aliases of the plain ones.
  return !has_suffix(file, ".dat") && !has_suffix(file, ".u8");
}

void read_cookies(const std::vector<fs::path>& files, SourceSink& sink, bool strip_colours) {
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_or_warn(file, sink);
    if (!bytes) continue;
    std::string text = decode_text(*bytes, "ISO-8859-1");
    if (strip_colours) text = strip_ansi(text);
    for (auto& record : split_records(text, "%"))
      if (!sink.emit(std::move(record))) return;
  }
}

std::vector<fs::path> top_level(const Roots& roots, const std::set<std::string>& names, bool complement) {
  return list_files(roots.system("/usr/share/games/fortunes"),
                    {.want =
                         [&names, complement](const fs::path& file) {
                           return cookie_file(file) && (names.count(file.filename().string()) > 0) != complement;
                         },
                     .recursive = false});
}

}  // namespace

void add_fortune_sources(std::vector<Source>& sources) {
  sources.push_back({"prose/fortunes", {"fortunes", "fortunes-min"}, "English fortune cookies, one per document",
                     [](const Roots& roots, SourceSink& sink) {
                       std::set<std::string> other = kChinese;
                       other.insert(kPortuguese.begin(), kPortuguese.end());
                       read_cookies(top_level(roots, other, /*complement=*/true), sink, false);
                     }});
  sources.push_back({"multilingual/fortunes-zh", {"fortunes-zh"},
                     "Chinese fortunes and Tang/Song poems, ANSI colours removed",
                     [](const Roots& roots, SourceSink& sink) {
                       read_cookies(top_level(roots, kChinese, false), sink, true);
                     }});
  sources.push_back({"multilingual/fortunes-pt", {"fortunes-br"}, "Brazilian Portuguese fortunes",
                     [](const Roots& roots, SourceSink& sink) {
                       read_cookies(top_level(roots, kPortuguese, false), sink, false);
                     }});
  const struct {
    const char* lang;
    const char* package;
    std::vector<std::string> dirs;
  } languages[] = {
      {"de", "fortunes-de", {"de"}}, {"ru", "fortunes-ru", {"ru"}}, {"es", "fortunes-es", {"es"}},
      {"it", "fortunes-it", {"it"}}, {"pl", "fortunes-pl", {"pl"}},
      // cz/ only links into cs/; sk/ comes with the same package.
      {"cs", "fortunes-cs", {"cs", "sk"}},
  };
  for (const auto& language : languages) {
    sources.push_back({std::string("multilingual/fortunes-") + language.lang, {language.package},
                       std::string("fortunes in ") + language.lang,
                       [dirs = language.dirs](const Roots& roots, SourceSink& sink) {
                         std::vector<fs::path> folders;
                         for (const auto& dir : dirs) folders.push_back(roots.system("/usr/share/games/fortunes/" + dir));
                         read_cookies(list_files(folders, {.want = cookie_file}), sink, false);
                       }});
  }
}

}  // namespace debian_pile
