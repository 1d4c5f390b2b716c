// Biological sequences in their usual text formats: FASTA (16S rRNA genes),
// GenBank and EMBL/SwissProt flat files (DNA, protein, annotations).
#include "emit.h"
#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

// FASTA records (">header" then sequence lines) grouped by 20, so a
// document is a few tens of kilobytes rather than one short gene.
void emit_fasta(const std::vector<fs::path>& files, SourceSink& sink) {
  constexpr int kRecordsPerDocument = 20;
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_file(file);
    if (!bytes) continue;
    std::string text;
    int records = 0;
    const std::string decoded = decode_text(*bytes);  // outlives the string_views split_lines returns
    for (const std::string_view line : split_lines(decoded)) {
      if (line.starts_with(">") && ++records > kRecordsPerDocument) {
        if (!sink.emit(std::move(text))) return;
        text.clear();
        records = 1;
      }
      text.append(line);
      text += '\n';
    }
    if (!sink.emit(std::move(text))) return;
  }
}

void read_16s(const Roots& roots, SourceSink& sink) {
  // The NAST_ALIGNED file is the same sequences padded with '-'.
  const fs::path file = roots.system("/usr/share/microbiomeutil-data/RESOURCES/rRNA16S.gold.fasta");
  std::error_code error;
  emit_fasta(fs::is_regular_file(file, error) ? std::vector<fs::path>{file} : std::vector<fs::path>{}, sink);
}

void read_fasta_misc(const Roots& roots, SourceSink& sink) {
  emit_fasta(list_files({roots.system("/usr/share/kaptive/reference_database"), roots.system("/usr/share/EMBOSS/test/data")},
                        {.want = with_suffix({".fasta", ".fa"})}),
             sink);
}

void read_genbank(const Roots& roots, SourceSink& sink) {
  emit_flat_file_records(list_files({roots.system("/usr/share/kaptive/reference_database"),
                                     roots.system("/usr/share/EMBOSS/test/genbank")},
                                    {.want = with_suffix({".gbk", ".gb", ".seq"})}),
                         sink);
}

void read_embl(const Roots& roots, SourceSink& sink) {
  emit_flat_file_records(
      list_files({roots.system("/usr/share/EMBOSS/test/embl"), roots.system("/usr/share/EMBOSS/test/swiss")},
                 {.want = with_suffix({".dat", ".seq"})}),
      sink);
}

}  // namespace

void add_bio_sources(std::vector<Source>& sources) {
  sources.push_back({"bio/rrna-16s", {"microbiomeutil-data"}, "16S rRNA genes (FASTA), 20 records per document",
                     read_16s});
  sources.push_back({"bio/genbank", {"kaptive-data", "emboss-test"},
                     "GenBank records: bacterial capsule loci (DNA, CDS translations) and EMBOSS examples",
                     read_genbank});
  sources.push_back({"bio/embl", {"emboss-test"}, "EMBL and SwissProt flat-file records from EMBOSS' tests",
                     read_embl});
  sources.push_back({"bio/fasta", {"kaptive-data", "emboss-test"},
                     "other FASTA files (wzi/wzc alleles, EMBOSS test sequences), 20 records per document",
                     read_fasta_misc});
}

}  // namespace debian_pile
