// Evaluator plugin: what a corpus is made of, per source and per script, so
// a user can check that Arabic, Hebrew, CJK, code... are really in it.
#include <fstream>
#include <map>

#include "dictlab/documents_jsonl.h"
#include "dictlab/sdk.h"

namespace {

using dictlab::Figure;

dictlab::PluginDescriptor describe() {
  return {.name = "corpus_stats",
          .version = "1.0.0",
          .summary = "Documents, bytes and writing systems of a dataset stage's corpus, per source.",
          .options = {}};
}

// Writing system of a code point, by Unicode block; coarse on purpose.
const char* script_of(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? "latin" : nullptr;
  if (c >= 0x00C0 && c <= 0x024F) return "latin";
  if (c >= 0x0370 && c <= 0x03FF) return "greek";
  if (c >= 0x0400 && c <= 0x052F) return "cyrillic";
  if (c >= 0x0590 && c <= 0x05FF) return "hebrew";
  if ((c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || (c >= 0xFB50 && c <= 0xFEFF)) return "arabic";
  if ((c >= 0x0900 && c <= 0x0DFF)) return "indic";
  if ((c >= 0x3040 && c <= 0x30FF)) return "kana";
  if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) return "han";
  if (c >= 0xAC00 && c <= 0xD7AF) return "hangul";
  if (c >= 0x1F300 && c <= 0x1FAFF) return "emoji";
  return "other";
}

// Counts letters per script; invalid UTF-8 bytes are skipped.
void count_scripts(const std::string& text, std::map<std::string, double>& counts) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    int length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) {
      ++i;
      continue;
    }
    char32_t c = length == 1 ? byte : byte & (0xFF >> (length + 1));
    for (int k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (const char* script = script_of(c)) counts[script] += 1;
    i += length;
  }
}

class CorpusStats : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& input = context.input(dictlab::PluginKind::kDataset);
    const auto file = input.dir / "documents.jsonl";
    std::ifstream in(file);
    if (!in) throw dictlab::PluginError("cannot read " + file.string());

    std::map<std::string, double> documents, bytes, scripts;
    double total_documents = 0;
    dictlab::read_documents_jsonl(in, file.string(), "unknown", [&](dictlab::Document&& d) {
      documents[d.source] += 1;
      bytes[d.source] += static_cast<double>(d.text.size());
      count_scripts(d.text, scripts);
      context.progress().set_done(++total_documents);
      return !context.stop_requested();
    });

    dictlab::Report report;
    for (const auto& [source, n] : documents) {
      report.figures.push_back({"corpus_documents", n, {{"source", source}}, "Documents per source."});
      report.figures.push_back({"corpus_text_bytes", bytes[source], {{"source", source}}, "Text bytes per source."});
    }
    double letters = 0;
    for (const auto& [script, n] : scripts) letters += n;
    for (const auto& [script, n] : scripts)
      report.figures.push_back({"corpus_script_ratio", letters > 0 ? n / letters : 0.0, {{"script", script}},
                                "Share of the corpus' letters written in each script."});
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(CorpusStats, describe)
