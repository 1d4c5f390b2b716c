#pragma once

// Readers shared by several sources.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "source.h"

namespace debian_pile {

// The file's bytes (gunzipped when `gzip`), or nothing after a warning that
// names it: an unreadable file costs a warning, never the whole source.
std::optional<std::string> read_or_warn(const std::filesystem::path& file, SourceSink& sink, bool gzip = false);

// One document per file, decoded as UTF-8 (or WINDOWS-1252 when it is not),
// gunzipped when `gzip` (zlib also reads plain files). Calls saw_input()
// when there are files. Returns false when the sink wants no more.
bool emit_files(const std::vector<std::filesystem::path>& files, SourceSink& sink, bool gzip = false);

// The translations of each .mo file as one document.
bool emit_catalogues(const std::vector<std::filesystem::path>& files, SourceSink& sink);

// Records split at lines equal to `separator` ("//" ends a GenBank, EMBL or
// SwissProt entry), kept with their terminator, one document each.
bool emit_flat_file_records(const std::vector<std::filesystem::path>& files, SourceSink& sink,
                            const std::string& separator = "//");

}  // namespace debian_pile
