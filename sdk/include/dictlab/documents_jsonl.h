#pragma once

// The Pile's JSONL format, {"text": ..., "meta": {"pile_set_name": ...}}: what
// dataset stages write as documents.jsonl and what text_files reads, so a user
// with the real Pile and a run's own corpus use the same reader.
// Needs nlohmann-json (Debian nlohmann-json3-dev).

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

// Calls emit for every line of a Pile-style JSONL stream; `where` names the
// stream in errors ("corpus.jsonl"). Documents without meta get default_source.
inline void read_documents_jsonl(std::istream& in, const std::string& where,
                                 const std::string& default_source, const DocumentSink& emit) {
  std::string line;
  for (long line_number = 1; std::getline(in, line); ++line_number) {
    if (line.empty()) continue;
    nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object() || !value.contains("text") ||
        !value["text"].is_string())
      throw PluginError(where + ":" + std::to_string(line_number) +
                        ": not a JSON object with a string \"text\"");
    Document document{value["text"].get<std::string>(), default_source};
    const auto meta = value.find("meta");
    if (meta != value.end() && meta->is_object()) {
      const auto set_name = meta->find("pile_set_name");
      if (set_name != meta->end() && set_name->is_string()) document.source = set_name->get<std::string>();
    }
    if (!emit(std::move(document))) return;
  }
}

}  // namespace dictlab
