// Source code and its documentation: Python, Go, Rust, Perl, Vim script, C
// headers, one document per file. Version folders (python3.11, go-1.19,
// rustc-1.63.0) are found rather than named, so the sources follow the
// Debian release.
#include "emit.h"
#include "files.h"
#include "source.h"

namespace debian_pile {

namespace {

// Folders like /usr/lib/x86_64-linux-gnu, whatever the architecture.
std::vector<fs::path> multiarch_dirs(const Roots& roots) {
  std::vector<fs::path> dirs;
  std::error_code error;
  for (fs::directory_iterator it(roots.system("/usr/lib"), error), end; !error && it != end; it.increment(error))
    if (it->path().filename().string().ends_with("-linux-gnu")) dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::vector<fs::path> newest(const fs::path& parent, const std::string& prefix, const std::string& below = "") {
  const auto dir = newest_child(parent, prefix);
  if (!dir) return {};
  return {below.empty() ? *dir : *dir / below};
}

void read_python(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(newest(roots.system("/usr/lib"), "python3."),
                        {.want = with_suffix({".py"}),
                         .skip_dirs = {"__pycache__", "site-packages", "dist-packages"},
                         .order = Order::kSpread}),
             sink);
}

void read_python_docs(const Roots& roots, SourceSink& sink) {
  const auto python = newest_child(roots.system("/usr/lib"), "python3.");
  if (!python) return;
  const fs::path sources = roots.system("/usr/share/doc") / python->filename() / "html/_sources";
  emit_files(list_files(sources, {.want = with_suffix({".rst.txt"}), .order = Order::kSpread}), sink);
}

void read_go(const Roots& roots, SourceSink& sink) {
  // testdata/ holds inputs of tests in every format, much of it not Go.
  emit_files(list_files(newest(roots.system("/usr/share"), "go-", "src"),
                        {.want = with_suffix({".go"}), .skip_dirs = {"testdata"}, .order = Order::kSpread}),
             sink);
}

void read_rust(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(newest(roots.system("/usr/src"), "rustc-"),
                        {.want = with_suffix({".rs"}), .order = Order::kSpread}),
             sink);
}

std::vector<fs::path> perl_dirs(const Roots& roots) {
  std::vector<fs::path> dirs = newest(roots.system("/usr/share/perl"), "5.");
  for (const auto& arch : multiarch_dirs(roots)) {
    auto more = newest(arch / "perl", "5.");
    dirs.insert(dirs.end(), more.begin(), more.end());
  }
  dirs.push_back(roots.system("/usr/share/perl5"));
  return dirs;
}

void read_perl(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(perl_dirs(roots), {.want = with_suffix({".pm", ".pl"}), .order = Order::kSpread}), sink);
}

void read_perl_pod(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(perl_dirs(roots), {.want = with_suffix({".pod"}), .order = Order::kSpread}), sink);
}

void read_vim(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(newest(roots.system("/usr/share/vim"), "vim9"),
                        {.want = with_suffix({".vim"}), .order = Order::kSpread}),
             sink);
}

void read_vim_help(const Roots& roots, SourceSink& sink) {
  emit_files(list_files(newest(roots.system("/usr/share/vim"), "vim9", "doc"),
                        {.want = with_suffix({".txt"}), .recursive = false}),
             sink);
}

void read_c_headers(const Roots& roots, SourceSink& sink) {
  // What is in /usr/include depends on the -dev packages installed; the
  // spread order keeps one big library (boost) from filling the cap.
  emit_files(list_files(roots.system("/usr/include"),
                        {.want = with_suffix({".h", ".hpp", ".hh", ".hxx"}), .order = Order::kSpread}),
             sink);
}

}  // namespace

void add_code_sources(std::vector<Source>& sources) {
  sources.push_back({"code/python", {"libpython3.11-stdlib"}, "the Python standard library (.py)", read_python});
  sources.push_back({"code/go", {"golang-1.19-src"}, "the Go standard library and toolchain (.go, no testdata)",
                     read_go});
  sources.push_back({"code/rust", {"rust-src"}, "the Rust standard library and compiler sources (.rs)", read_rust});
  sources.push_back({"code/perl", {"perl-modules-5.36", "perl"}, "Perl modules (.pm, .pl)", read_perl});
  sources.push_back({"code/vim", {"vim-runtime"}, "Vim's runtime scripts (.vim)", read_vim});
  sources.push_back({"code/c-headers", {"libc6-dev", "linux-libc-dev"},
                     "C and C++ headers in /usr/include (machine-dependent)", read_c_headers});
  sources.push_back({"docs/python", {"python3.11-doc"}, "Python's documentation, reStructuredText sources",
                     read_python_docs});
  sources.push_back({"docs/perl-pod", {"perl-doc"}, "Perl's documentation (.pod)", read_perl_pod});
  sources.push_back({"docs/vim-help", {"vim-runtime"}, "Vim's help files", read_vim_help});
}

}  // namespace debian_pile
