// Base64, which a model meets in mail attachments, certificates, data URIs
// and config files: PEM certificates, and slices of the machine's shared
// libraries encoded as MIME would, so there is enough of it to learn from.
#include "emit.h"
#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

// 12 KiB of binary is 16 KiB of base64: a typical attachment-sized block.
constexpr std::size_t kSliceBytes = 12 * 1024;

void read_pem(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(roots.system("/usr/share/ca-certificates"), {.want = with_suffix({".crt", ".pem"})}), sink);
}

void read_binary(const Roots& roots, SourceSink& sink) {
  std::vector<fs::path> dirs;
  std::error_code error;
  for (fs::directory_iterator it(roots.system("/usr/lib"), error), end; !error && it != end; it.increment(error))
    if (it->path().filename().string().ends_with("-linux-gnu")) dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  const auto libraries = list_files(dirs, {.want =
                                               [](const fs::path& file) {
                                                 return file.filename().string().find(".so") != std::string::npos;
                                               },
                                           .recursive = false,
                                           .order = Order::kSpread});
  if (!libraries.empty()) sink.saw_input();
  for (const auto& library : libraries) {
    const std::uintmax_t size = fs::file_size(library, error);
    if (error || size == 0) continue;
    // From the middle of the file: every ELF starts with the same header,
    // which would make thousands of near-identical documents.
    const std::uintmax_t offset = size > kSliceBytes ? (size - kSliceBytes) / 2 / 3 * 3 : 0;
    const auto slice = read_range(library, offset, kSliceBytes);
    if (!slice || slice->empty()) continue;
    if (!sink.emit(base64_lines(*slice))) return;
  }
}

}  // namespace

void add_base64_sources(std::vector<Source>& sources) {
  sources.push_back({"base64/pem", {"ca-certificates"}, "CA certificates in PEM, one per document", read_pem});
  sources.push_back({"base64/binary", {"libc6"},
                     "12 KiB from the middle of each shared library in /usr/lib/<arch>, base64 in 76-column lines",
                     read_binary});
}

}  // namespace debian_pile
