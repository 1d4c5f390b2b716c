// LaTeX: the macro packages of texlive-latex-base, and documentation
// written in LaTeX (math included) from the texlive *-doc packages, which
// .ci/install-corpus unpacks without installing.
#include "emit.h"
#include "files.h"
#include "source.h"

namespace debian_pile {

namespace {

bool tex_file(const fs::path& file) {
  return has_suffix(file, ".sty") || has_suffix(file, ".cls") || has_suffix(file, ".tex") ||
         has_suffix(file, ".ltx");
}

void read_macros(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(roots.system("/usr/share/texlive/texmf-dist/tex"), {.want = tex_file, .order = Order::kSpread}),
             sink);
}

void read_documents(const Roots& roots, SourceSink& sink) {
  // Installed or only unpacked: both places are read, dedup drops overlap.
  const auto doc = [](const fs::path& file) { return has_suffix(file, ".tex") || has_suffix(file, ".tex.gz"); };
  emit_files(list_files({roots.system("/usr/share/doc/texlive-doc"),
                         roots.extracted_path("/usr/share/doc/texlive-doc")},
                        {.want = doc, .order = Order::kSpread}),
             sink, /*gzip=*/true);
}

}  // namespace

void add_latex_sources(std::vector<Source>& sources) {
  sources.push_back({"latex/macros", {"texlive-latex-base"}, "LaTeX packages and classes (.sty, .cls, .tex, .ltx)",
                     read_macros});
  sources.push_back({"latex/documents", {"deb-extract:texlive-latex-base-doc", "deb-extract:texlive-science-doc"},
                     "LaTeX sources of package manuals (amsldoc, hyperref, science packages), math included",
                     read_documents});
}

}  // namespace debian_pile
