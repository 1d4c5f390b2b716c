#pragma once

// The Pile's JSONL format, {"text": ..., "meta": {"pile_set_name": ...}}: what
// dataset stages write as documents.jsonl and what text_files reads, so a user
// with the real Pile and a run's own corpus use the same reader.
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "dictlab/dataset.h"
#include "dictlab/errors.h"

namespace dictlab {

inline void write_document_jsonl(std::ostream& out, const Document& document) {
  nlohmann::json line = {{"text", document.text}, {"meta", {{"pile_set_name", document.source}}}};
  // Invalid UTF-8 is replaced rather than fatal: corpora scraped from a
  // machine's files always contain some.
  out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// A line longer than this is refused rather than held: one document per line
// of the Pile is at most a few MiB, and a corrupt or hostile file can hold a
// line of gigabytes that would otherwise be read whole (and copied twice).
inline constexpr std::size_t kMaxJsonlLineBytes = std::size_t{64} << 20;

// Reads one '\n'-terminated line into `line` through a fixed buffer, so a
// line over `max_bytes` is refused after reading max_bytes plus one buffer.
// False at the end of the stream. `where` and `line_number` name it in errors.
inline bool read_bounded_line(std::istream& in, std::string& line, std::size_t max_bytes, const std::string& where,
                              long line_number, const std::string& limit_name = "") {
  line.clear();
  char chunk[1 << 16];
  for (;;) {
    in.getline(chunk, sizeof chunk);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (in.bad()) throw PluginError(where + ":" + std::to_string(line_number) + ": read failed");
    const bool at_end = in.eof();
    const bool filled = !at_end && in.fail();  // the chunk filled up before a '\n'
    line.append(chunk, at_end || filled ? got : got - 1);
    if (line.size() > max_bytes)
      throw PluginError(where + ":" + std::to_string(line_number) + ": line longer than " + std::to_string(max_bytes) +
                        " bytes" + (limit_name.empty() ? std::string() : " (raise " + limit_name + " to read it)"));
    if (at_end) return !line.empty();
    if (!filled) return true;
    in.clear();
  }
}

// Calls emit for every line of a Pile-style JSONL stream; `where` names the
// stream in errors ("corpus.jsonl"). Documents without meta get default_source.
// Memory stays within a few times max_line_bytes whatever the stream holds;
// `limit_name` (an option) is what the error tells a user to raise.
inline void read_documents_jsonl(std::istream& in, const std::string& where, const std::string& default_source,
                                 const DocumentSink& emit, std::size_t max_line_bytes = kMaxJsonlLineBytes,
                                 const std::string& limit_name = "") {
  std::string line;
  for (long line_number = 1; read_bounded_line(in, line, max_line_bytes, where, line_number, limit_name);
       ++line_number) {
    if (line.empty()) continue;
    nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object() || !value.contains("text") ||
        !value["text"].is_string())
      throw PluginError(where + ":" + std::to_string(line_number) +
                        ": not a JSON object with a string \"text\"");
    Document document{std::move(value["text"].get_ref<std::string&>()), default_source};
    const auto meta = value.find("meta");
    if (meta != value.end() && meta->is_object()) {
      const auto set_name = meta->find("pile_set_name");
      if (set_name != meta->end() && set_name->is_string()) document.source = set_name->get<std::string>();
    }
    if (!emit(std::move(document))) return;
  }
}

}  // namespace dictlab
