#pragma once

// What every source of the Debian pile is: a tag, the packages that provide
// its files, and a reader that turns those files into documents.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace debian_pile {

namespace fs = std::filesystem;

// Where the sources' files live. Every path a source names is absolute on a
// Debian machine ("/usr/share/dictd"); it is resolved under one of these
// roots, so a test can point all of them at a fixture tree.
struct Roots {
  fs::path root = "/";                                     // installed apt packages
  fs::path npm = "/var/cache/dictlab/npm";                 // holds node_modules/
  fs::path extracted = "/var/cache/dictlab/debs-extracted";  // dpkg-deb -x of data-only debs

  fs::path system(std::string_view absolute) const { return under(root, absolute); }
  fs::path extracted_path(std::string_view absolute) const { return under(extracted, absolute); }
  // Accepts npm_root pointing at the folder holding node_modules or at
  // node_modules itself, since both are what people mean by "the npm folder".
  fs::path node_module(std::string_view package) const {
    std::error_code error;
    if (fs::is_directory(npm / "node_modules", error)) return npm / "node_modules" / package;
    return npm / package;
  }

 private:
  static fs::path under(const fs::path& base, std::string_view absolute) {
    while (!absolute.empty() && absolute.front() == '/') absolute.remove_prefix(1);
    return base / absolute;
  }
};

// Where a source's reader hands its documents. The implementation repairs
// UTF-8, drops duplicates, splits long documents and enforces the cap.
class SourceSink {
 public:
  virtual ~SourceSink() = default;
  // Returns false when the source should stop: its cap is reached, the
  // consumer wants no more, or the user pressed Ctrl-C.
  virtual bool emit(std::string text) = 0;
  // At least one input file of the source exists; without this call a source
  // that emitted nothing counts as missing rather than empty.
  virtual void saw_input() = 0;
  // Something the source could not read; logged as a warning, not fatal.
  virtual void warn(std::string_view message) = 0;
  // The source cannot run at all (a tool it needs is not installed).
  virtual void mark_missing(std::string_view why) = 0;
};

struct Source {
  std::string tag;                    // "<family>/<name>", the document's pile_set_name
  std::vector<std::string> packages;  // "dict-gcide", "npm:quran-json", "deb-extract:libreoffice-l10n-he"
  std::string what;                   // one line for logs and sources.json
  std::function<void(const Roots&, SourceSink&)> read;

  std::string family() const { return tag.substr(0, tag.find('/')); }
};

// One registration function per source family, in the order documents are
// emitted; each appends its sources.
void add_dictd_sources(std::vector<Source>& sources);
void add_fortune_sources(std::vector<Source>& sources);
void add_npm_json_sources(std::vector<Source>& sources);
void add_man_sources(std::vector<Source>& sources);
void add_gettext_sources(std::vector<Source>& sources);
void add_hebrew_sources(std::vector<Source>& sources);
void add_mail_sources(std::vector<Source>& sources);
void add_code_sources(std::vector<Source>& sources);
void add_latex_sources(std::vector<Source>& sources);
void add_bio_sources(std::vector<Source>& sources);
void add_base64_sources(std::vector<Source>& sources);

// Every source, in emission order.
std::vector<Source> all_sources();

}  // namespace debian_pile
