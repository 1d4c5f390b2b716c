// Dataset plugin: a user's own text files, folders of them, or JSONL in the
// Pile's format (plain or .zst-compressed, as the Pile is distributed).
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "dictlab/documents_jsonl.h"
#include "dictlab/sdk.h"
#include "text_chunks.h"
#include "zstd_input.h"

namespace {

namespace fs = std::filesystem;
using dictlab::Document;
using dictlab::DocumentSink;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;

dictlab::PluginDescriptor describe() {
  return {
      .name = "text_files",
      .version = "1.0.0",
      .summary = "Documents from text files, folders, or Pile-style JSONL / JSONL.zst.",
      .options = {
          {"paths", OptionType::kStringList, "Files or folders (searched recursively), in this order.", std::nullopt},
          OptionSpec{"format", OptionType::kString, "How files are read; auto goes by extension.", std::string("auto")}
              .one_of({"auto", "text", "jsonl"}),
          {"source", OptionType::kString, "Source tag of plain-text documents (JSONL carries its own).",
           std::string("text")},
          {"extensions", OptionType::kStringList, "In folders, read only files ending so (e.g. [\".txt\"]); "
                                                  "empty reads all.", std::vector<std::string>{}},
          {"max_documents", OptionType::kInt, "Stop after this many documents; 0 for no limit.", std::int64_t{0}},
          OptionSpec{"max_document_bytes", OptionType::kInt,
                     "Split longer text files at line breaks into documents of at most this size.",
                     std::int64_t{1} << 20}
              .at_least(1),
          OptionSpec{"max_line_bytes", OptionType::kInt,
                     "Refuse a JSONL line (one document) longer than this, naming its file and line, rather than "
                     "hold it in memory.",
                     static_cast<std::int64_t>(dictlab::kMaxJsonlLineBytes)}
              .at_least(1),
      }};
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class TextFiles : public dictlab::Dataset {
 public:
  void read(dictlab::RunContext& context, const DocumentSink& emit) override {
    const auto& options = context.options();
    const std::string format = options.get_string("format");
    max_documents_ = options.get_int("max_documents");
    max_document_bytes_ = options.get_int("max_document_bytes");
    max_line_bytes_ = options.get_int("max_line_bytes");
    source_ = options.get_string("source");
    extensions_ = options.get_strings("extensions");

    std::vector<fs::path> files;
    for (const auto& path : options.get_strings("paths")) {
      std::error_code error;
      if (fs::is_regular_file(path, error)) {
        files.emplace_back(path);
      } else if (fs::is_directory(path, error)) {
        std::vector<fs::path> found;
        for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
          if (entry.is_regular_file() && wanted(entry.path())) found.push_back(entry.path());
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
      } else {
        throw OptionError("paths", "no such file or folder: " + path);
      }
    }
    context.progress().set_total(static_cast<double>(files.size()));

    std::int64_t skipped = 0;
    for (std::size_t i = 0; i < files.size() && !done_; ++i) {
      const std::string name = files[i].string();
      const bool jsonl = format == "jsonl" || (format == "auto" && (ends_with(name, ".jsonl") ||
                                                                   ends_with(name, ".jsonl.zst")));
      if (jsonl) {
        read_jsonl(files[i], emit);
      } else if (text_files::looks_like_text(files[i])) {
        text_files::read_text_documents(files[i], static_cast<std::size_t>(max_document_bytes_),
                                        [&](std::string&& text) { return forward({std::move(text), source_}, emit); });
      } else {
        ++skipped;
      }
      context.progress().set_done(static_cast<double>(i + 1));
    }
    if (skipped > 0) context.log().info("skipped " + std::to_string(skipped) + " binary file(s)");
  }

 private:
  bool wanted(const fs::path& file) const {
    if (extensions_.empty()) return true;
    const std::string name = file.filename().string();
    return std::any_of(extensions_.begin(), extensions_.end(), [&](const auto& e) { return ends_with(name, e); });
  }

  // False once the sink or max_documents says stop: readers then stop at
  // once, so max_documents bounds what is read, not only what is written.
  bool forward(Document&& document, const DocumentSink& emit) {
    if (done_) return false;
    if (document.text.empty()) return true;
    ++emitted_;
    if (!emit(std::move(document))) done_ = true;
    if (max_documents_ > 0 && emitted_ >= max_documents_) done_ = true;
    return !done_;
  }

  // Streamed line by line (.zst through a fixed buffer), so memory is one
  // line at most max_line_bytes, and reading stops at max_documents.
  void read_jsonl(const fs::path& file, const DocumentSink& emit) {
    const std::string name = file.string();
    auto forward_one = [&](Document&& d) { return forward(std::move(d), emit); };
    const auto limit = static_cast<std::size_t>(max_line_bytes_);
    if (ends_with(name, ".zst")) {
      text_files::ZstdInput in(file);
      dictlab::read_documents_jsonl(in, name, source_, forward_one, limit, "max_line_bytes");
    } else {
      std::ifstream in = text_files::open_binary(file);
      dictlab::read_documents_jsonl(in, name, source_, forward_one, limit, "max_line_bytes");
    }
  }

  std::int64_t max_documents_ = 0;
  std::int64_t max_document_bytes_ = 0;
  std::int64_t max_line_bytes_ = 0;
  std::int64_t emitted_ = 0;
  bool done_ = false;
  std::string source_;
  std::vector<std::string> extensions_;
};

}  // namespace

DICTLAB_PLUGIN(TextFiles, describe)
