#include "emit.h"

#include "files.h"
#include "text.h"

namespace debian_pile {

std::optional<std::string> read_or_warn(const fs::path& file, SourceSink& sink, bool gzip) {
  auto bytes = gzip ? read_gzip(file) : read_file(file);
  if (!bytes) sink.warn("cannot read " + file.string());
  return bytes;
}

bool emit_files(const std::vector<fs::path>& files, SourceSink& sink, bool gzip) {
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_or_warn(file, sink, gzip);
    if (!bytes) continue;
    if (bytes->find('\0') != std::string::npos) continue;  // binary, whatever its name says
    if (!sink.emit(decode_text(*bytes))) return false;
  }
  return true;
}

bool emit_flat_file_records(const std::vector<fs::path>& files, SourceSink& sink, const std::string& separator) {
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_or_warn(file, sink);
    if (!bytes) continue;
    for (auto& record : split_records(decode_text(*bytes), separator))
      if (!sink.emit(record + separator + "\n")) return false;
  }
  return true;
}

}  // namespace debian_pile
