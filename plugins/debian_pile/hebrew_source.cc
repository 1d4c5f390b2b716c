// Hebrew. Debian and npm ship no Hebrew prose that we could find: what
// exists is UI strings (gettext, LibreOffice) and a spelling word list.
// They get their own tags so their small share is visible, not hidden in
// the multilingual mass.
#include <utility>

#include "emit.h"
#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

void read_hebrew_ui(const Roots& roots, SourceSink& sink) {
  const auto mo = [](const fs::path& file) { return has_suffix(file, ".mo"); };
  auto files = list_files({roots.system("/usr/share/locale/he/LC_MESSAGES"),
                           roots.system("/usr/share/locale/he_IL/LC_MESSAGES"),
                           roots.extracted_path("/usr/lib/libreoffice/program/resource/he/LC_MESSAGES")},
                          {.want = mo});
  emit_catalogues(files, sink);
}

// hunspell's .dic: a count line, then "word/FLAGS". The flags are affix
// rules, meaningless as text; 1000 words to a document.
void read_hebrew_words(const Roots& roots, SourceSink& sink) {
  constexpr std::size_t kWordsPerDocument = 1000;
  const auto bytes = read_file(roots.system("/usr/share/hunspell/he_IL.dic"));
  if (!bytes) return;
  sink.saw_input();
  std::string text;
  std::size_t count = 0;
  bool first = true;
  for (const std::string_view line : split_lines(*bytes)) {
    if (std::exchange(first, false)) continue;
    const std::string_view word = trim(line.substr(0, line.find('/')));
    if (word.empty()) continue;
    text.append(word);
    text += '\n';
    if (++count == kWordsPerDocument) {
      if (!sink.emit(std::move(text))) return;
      text.clear();
      count = 0;
    }
  }
  sink.emit(std::move(text));
}

}  // namespace

void add_hebrew_sources(std::vector<Source>& sources) {
  sources.push_back({"multilingual/hebrew-ui", {"deb-extract:libreoffice-l10n-he"},
                     "Hebrew UI strings: /usr/share/locale/he .mo files and LibreOffice's Hebrew catalogues "
                     "(UTF-8 only; the ISO-8859-8 ones are in visual order and dropped)",
                     read_hebrew_ui});
  sources.push_back({"multilingual/hebrew-wordlist", {"hunspell-he"},
                     "the hunspell Hebrew word list (word forms, not prose), 1000 words per document",
                     read_hebrew_words});
}

}  // namespace debian_pile
