// Dataset plugin: a user's own text files, folders of them, or JSONL in the
// Pile's format (plain or .zst-compressed, as the Pile is distributed).
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dictlab/documents_jsonl.h"
#include "dictlab/sdk.h"

namespace {

namespace fs = std::filesystem;
using dictlab::Document;
using dictlab::DocumentSink;
using dictlab::OptionError;
using dictlab::OptionType;
using dictlab::PluginError;

dictlab::PluginDescriptor describe() {
  return {
      .name = "text_files",
      .version = "1.0.0",
      .summary = "Documents from text files, folders, or Pile-style JSONL / JSONL.zst.",
      .options = {
          {"paths", OptionType::kStringList, "Files or folders (searched recursively), in this order.", std::nullopt},
          {"format", OptionType::kString, "auto (by extension), text, or jsonl.", std::string("auto")},
          {"source", OptionType::kString, "Source tag of plain-text documents (JSONL carries its own).",
           std::string("text")},
          {"extensions", OptionType::kStringList, "In folders, read only files ending so (e.g. [\".txt\"]); "
                                                  "empty reads all.", std::vector<std::string>{}},
          {"max_documents", OptionType::kInt, "Stop after this many documents; 0 for no limit.", std::int64_t{0}},
          {"max_document_bytes", OptionType::kInt, "Split longer text files at line breaks into documents "
                                                   "of at most this size.", std::int64_t{1} << 20},
      }};
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Binary files (images, archives, compiled code) are not text to learn from.
bool looks_like_text(const std::string& bytes) {
  return bytes.find('\0') == std::string::npos;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PluginError("cannot read " + file.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Streams a .zst file through ZSTD_decompressStream without holding it whole.
class ZstdFile {
 public:
  explicit ZstdFile(const fs::path& file) : in_(file, std::ios::binary), stream_(ZSTD_createDStream()) {
    if (!in_) throw PluginError("cannot read " + file.string());
    ZSTD_initDStream(stream_);
  }
  ~ZstdFile() { ZSTD_freeDStream(stream_); }
  ZstdFile(const ZstdFile&) = delete;
  ZstdFile& operator=(const ZstdFile&) = delete;

  std::string decompress_all(const std::string& where) {
    std::string out;
    std::string input(ZSTD_DStreamInSize(), '\0');
    std::string output(ZSTD_DStreamOutSize(), '\0');
    std::size_t last_result = 0;
    while (in_) {
      in_.read(input.data(), std::streamsize(input.size()));
      ZSTD_inBuffer in{input.data(), std::size_t(in_.gcount()), 0};
      while (in.pos < in.size) {
        ZSTD_outBuffer o{output.data(), output.size(), 0};
        last_result = ZSTD_decompressStream(stream_, &o, &in);
        if (ZSTD_isError(last_result))
          throw PluginError(where + ": corrupt zstd data: " + ZSTD_getErrorName(last_result));
        out.append(output.data(), o.pos);
      }
    }
    if (last_result != 0) throw PluginError(where + ": truncated zstd stream");
    return out;
  }

 private:
  std::ifstream in_;
  ZSTD_DStream* stream_;
};

class TextFiles : public dictlab::Dataset {
 public:
  void read(dictlab::RunContext& context, const DocumentSink& emit) override {
    const auto& options = context.options();
    const std::string format = options.get_string("format");
    if (format != "auto" && format != "text" && format != "jsonl")
      throw OptionError("format", "must be auto, text or jsonl, not '" + format + "'");
    max_documents_ = options.get_int("max_documents");
    max_document_bytes_ = options.get_int("max_document_bytes");
    if (max_document_bytes_ <= 0) throw OptionError("max_document_bytes", "must be positive");
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
        std::string text = ends_with(name, ".zst") ? ZstdFile(files[i]).decompress_all(name) : read_all(files[i]);
        std::istringstream lines(std::move(text));
        dictlab::read_documents_jsonl(lines, name, source_, [&](Document&& d) { return forward(std::move(d), emit); });
      } else {
        std::string text = read_all(files[i]);
        if (!looks_like_text(text)) {
          ++skipped;
          context.progress().set_done(static_cast<double>(i + 1));
          continue;
        }
        emit_split(std::move(text), emit);
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

  bool forward(Document&& document, const DocumentSink& emit) {
    if (document.text.empty()) return true;
    if (max_documents_ > 0 && emitted_ >= max_documents_) {
      done_ = true;
      return false;
    }
    ++emitted_;
    if (!emit(std::move(document))) done_ = true;
    return !done_;
  }

  void emit_split(std::string text, const DocumentSink& emit) {
    const std::size_t limit = static_cast<std::size_t>(max_document_bytes_);
    std::size_t start = 0;
    while (start < text.size() && !done_) {
      std::size_t end = std::min(text.size(), start + limit);
      if (end < text.size()) {
        const std::size_t newline = text.rfind('\n', end - 1);
        if (newline != std::string::npos && newline > start) end = newline + 1;
      }
      forward(Document{text.substr(start, end - start), source_}, emit);
      start = end;
    }
  }

  std::int64_t max_documents_ = 0;
  std::int64_t max_document_bytes_ = 0;
  std::int64_t emitted_ = 0;
  bool done_ = false;
  std::string source_;
  std::vector<std::string> extensions_;
};

}  // namespace

DICTLAB_PLUGIN(TextFiles, describe)
