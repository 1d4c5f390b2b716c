// Manual pages in every installed language, rendered to plain UTF-8 text
// by mandoc (about 0.01 s a page, where man -l takes 15 times longer).
#include <map>
#include <set>

#include "files.h"
#include "source.h"
#include "subprocess.h"
#include "text.h"

namespace debian_pile {

namespace {

// Below this a rendered page is a stub (a .so redirect, an empty NAME).
constexpr std::size_t kMinimumPage = 200;

const std::set<std::string> kOwnTag = {"de", "es", "fr", "it", "ja", "pl", "ru", "zh"};

// "zh_CN" -> "zh", "pt_BR" -> "pt", "de.UTF-8" -> "de".
// mandoc keeps the blank lines roff asked for; runs of them carry nothing.
std::string squeeze_blank_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  int newlines = 0;
  for (const char c : text) {
    newlines = c == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) out += c;
  }
  return out;
}

std::string language_of(const std::string& dir) {
  return dir.substr(0, dir.find_first_of("_.@"));
}

// The man/<lang> folders a tag takes: "" is English (man/manN directly).
std::vector<std::string> folders_for(const fs::path& man, const std::string& tag_language) {
  std::vector<std::string> folders;
  if (tag_language == "en") return {""};
  std::error_code error;
  for (fs::directory_iterator it(man, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with("man") || !it->is_directory(error) || it->is_symlink(error)) continue;
    const std::string language = language_of(name);
    if (tag_language == "other" ? kOwnTag.count(language) == 0 && language != "en" : language == tag_language)
      folders.push_back(name);
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

void read_man(const Roots& roots, SourceSink& sink, const std::string& tag_language) {
  const fs::path man = roots.system("/usr/share/man");
  std::vector<std::pair<fs::path, fs::path>> pages;  // (folder to run in, page)
  for (const auto& folder : folders_for(man, tag_language)) {
    const fs::path base = folder.empty() ? man : man / folder;
    std::vector<fs::path> sections;
    std::error_code error;
    for (fs::directory_iterator it(base, error), end; !error && it != end; it.increment(error))
      if (it->path().filename().string().starts_with("man") && it->is_directory(error))
        sections.push_back(it->path());
    std::sort(sections.begin(), sections.end());
    for (auto& page : list_files(sections, {.recursive = false, .order = Order::kSpread}))
      pages.emplace_back(base, std::move(page));
  }
  if (pages.empty()) return;
  sink.saw_input();
  const auto mandoc = find_program("mandoc");
  if (!mandoc) {
    sink.mark_missing("mandoc is not installed (apt-get install mandoc)");
    return;
  }
  for (const auto& [base, page] : pages) {
    // Run in the language folder so ".so man1/other.1" includes resolve.
    const auto rendered = run_capture({mandoc->string(), "-T", "utf8", "-O", "width=80", page.string()}, base);
    if (!rendered) {
      sink.warn("cannot run mandoc on " + page.string());
      continue;
    }
    std::string text = squeeze_blank_lines(strip_overstrike(rendered->out));
    if (text.size() < kMinimumPage) continue;
    if (!sink.emit(std::move(text))) return;
  }
}

}  // namespace

void add_man_sources(std::vector<Source>& sources) {
  sources.push_back({"docs/man", {"man-db", "manpages", "manpages-dev", "mandoc"},
                     "English man pages of every installed package, rendered by mandoc",
                     [](const Roots& r, SourceSink& s) { read_man(r, s, "en"); }});
  for (const std::string language : {"de", "es", "fr", "it", "ja", "pl", "ru", "zh"}) {
    sources.push_back({"multilingual/man-" + language, {"manpages-" + language, "mandoc"},
                       "man pages in " + language + ", rendered by mandoc",
                       [language](const Roots& r, SourceSink& s) { read_man(r, s, language); }});
  }
  sources.push_back({"multilingual/man-other", {"mandoc"},
                     "man pages in the remaining languages (nl, pt, sv, uk, cs...), rendered by mandoc",
                     [](const Roots& r, SourceSink& s) { read_man(r, s, "other"); }});
}

}  // namespace debian_pile
