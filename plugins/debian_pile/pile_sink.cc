#include "pile_sink.h"

#include "text.h"

namespace debian_pile {

namespace {
constexpr std::int64_t kWarningsLogged = 5;  // per source; the rest are only counted
}

Dedup::Verdict Dedup::check(std::string_view text) {
  if (!exact_.insert(fnv1a(text)).second) return Verdict::kExact;
  if (!near_.insert(normalised_hash(text)).second) return Verdict::kNear;
  return Verdict::kNew;
}

std::size_t cut_point(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  if (limit == 0) return 0;
  const std::size_t newline = text.rfind('\n', limit - 1);
  if (newline != std::string_view::npos) return newline + 1;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end > 0 ? end : limit;
}

PileSink::PileSink(const Source& source, const Limits& limits, Dedup& dedup, dictlab::RunContext& context,
                   const dictlab::DocumentSink& downstream)
    : source_(source), limits_(limits), dedup_(dedup), context_(context), downstream_(downstream) {}

void PileSink::warn(std::string_view message) {
  if (++stats_.warnings <= kWarningsLogged)
    context_.log().warn(source_.tag + ": " + std::string(message));
}

void PileSink::mark_missing(std::string_view why) {
  stats_.missing = true;
  stats_.missing_why = std::string(why);
}

double PileSink::filled() const {
  if (limits_.max_bytes_per_source <= 0) return 0.0;
  return std::min(1.0, static_cast<double>(stats_.bytes) / static_cast<double>(limits_.max_bytes_per_source));
}

bool PileSink::emit(std::string text) {
  if (done_) return false;
  if (context_.stop_requested()) {
    stopped_ = done_ = true;
    return false;
  }
  if (all_space(text)) return true;
  if (!is_valid_utf8(text)) {
    text = repair_utf8(text);
    ++stats_.repaired;
  }
  if (limits_.dedup) {
    switch (dedup_.check(text)) {
      case Dedup::Verdict::kExact: ++stats_.exact_duplicates; return true;
      case Dedup::Verdict::kNear: ++stats_.near_duplicates; return true;
      case Dedup::Verdict::kNew: break;
    }
  }
  const auto max_document = static_cast<std::size_t>(limits_.max_document_bytes);
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t end = cut_point(rest, max_document);
    if (!forward(std::string(rest.substr(0, end)))) return false;
    rest.remove_prefix(end);
  }
  return true;
}

bool PileSink::forward(std::string piece) {
  if (all_space(piece)) return true;
  if (limits_.max_bytes_per_source > 0) {
    const auto room = static_cast<std::size_t>(limits_.max_bytes_per_source - stats_.bytes);
    if (piece.size() >= room) {
      // The cap is exact: the piece that reaches it is cut to fit, and the
      // source ends there.
      piece.resize(piece.size() > room ? cut_point(piece, room) : piece.size());
      if (piece.size() > room) piece.clear();  // cut_point's minimum of one byte
      stats_.capped = true;
      done_ = true;
    }
  }
  if (!piece.empty() && !all_space(piece)) {
    stats_.bytes += static_cast<std::int64_t>(piece.size());
    ++stats_.documents;
    if (!downstream_(dictlab::Document{std::move(piece), source_.tag})) stopped_ = done_ = true;
  }
  return !done_;
}

}  // namespace debian_pile
