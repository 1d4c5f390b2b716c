// gettext catalogues: the translated UI strings of every installed program,
// one document per catalogue. Hebrew has its own source (hebrew_source.cc).
#include "emit.h"
#include "files.h"
#include "mo_file.h"
#include "source.h"

namespace debian_pile {

bool emit_catalogues(const std::vector<fs::path>& files, SourceSink& sink) {
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_file(file);
    const auto catalogue = bytes ? parse_mo(*bytes) : std::nullopt;
    if (!catalogue) {
      sink.warn("not a .mo catalogue: " + file.string());
      continue;
    }
    const auto text = catalogue_text(*catalogue);
    if (text && !sink.emit(*text)) return false;
  }
  return true;
}

namespace {

// Folder names of /usr/share/locale left out: English variants repeat the
// English source strings; Hebrew is its own source.
bool other_language(const std::string& locale) {
  return !locale.starts_with("en") && !locale.starts_with("he") && !locale.starts_with("iw");
}

void read_gettext(const Roots& roots, SourceSink& sink) {
  const fs::path locale = roots.system("/usr/share/locale");
  // Listed from /usr/share/locale so the spread order mixes languages and
  // domains rather than reading all of Afrikaans first.
  const auto files = list_files(locale, {.want =
                                             [&locale](const fs::path& file) {
                                               const auto relative = file.lexically_relative(locale);
                                               auto part = relative.begin();
                                               return has_suffix(file, ".mo") && part != relative.end() &&
                                                      other_language(part->string());
                                             },
                                         .order = Order::kSpread});
  emit_catalogues(files, sink);
}

}  // namespace

void add_gettext_sources(std::vector<Source>& sources) {
  sources.push_back({"multilingual/gettext", {"gettext-base"},
                     "translated UI strings (msgstr) of /usr/share/locale/*/LC_MESSAGES/*.mo, one catalogue per "
                     "document; what exists depends on what is installed",
                     read_gettext});
}

}  // namespace debian_pile
