#pragma once

// The one place documents pass through between a source and the host:
// UTF-8 repair, dedup, splitting and the per-source cap live here so every
// source gets them the same way.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dictlab/sdk.h"
#include "source.h"

namespace debian_pile {

struct Limits {
  std::int64_t max_bytes_per_source = 0;  // 0: no cap
  std::int64_t max_document_bytes = 64 * 1024;
  bool dedup = true;
};

// Remembers every document seen in this run, across sources, so a file
// shipped by two packages (or two locales) appears once.
class Dedup {
 public:
  enum class Verdict { kNew, kExact, kNear };
  Verdict check(std::string_view text);

 private:
  std::unordered_set<std::uint64_t> exact_;
  std::unordered_set<std::uint64_t> near_;
};

struct SourceStats {
  std::int64_t documents = 0;
  std::int64_t bytes = 0;
  std::int64_t exact_duplicates = 0;
  std::int64_t near_duplicates = 0;
  std::int64_t repaired = 0;  // documents whose invalid UTF-8 was replaced
  std::int64_t warnings = 0;
  bool saw_input = false;
  bool missing = false;
  std::string missing_why;
  bool capped = false;
};

class PileSink : public SourceSink {
 public:
  PileSink(const Source& source, const Limits& limits, Dedup& dedup, dictlab::RunContext& context,
           const dictlab::DocumentSink& downstream);

  bool emit(std::string text) override;
  void saw_input() override { stats_.saw_input = true; }
  void warn(std::string_view message) override;
  void mark_missing(std::string_view why) override;

  const SourceStats& stats() const { return stats_; }
  // The consumer or the user asked to stop (a reached cap is not a stop).
  bool stopped() const { return stopped_; }
  // Fraction of the cap filled, for progress; 0 without a cap.
  double filled() const;

 private:
  bool forward(std::string piece);

  const Source& source_;
  Limits limits_;
  Dedup& dedup_;
  dictlab::RunContext& context_;
  const dictlab::DocumentSink& downstream_;
  SourceStats stats_;
  bool done_ = false;
  bool stopped_ = false;
};

// Where to cut `text` so the head is at most `limit` bytes: after the last
// line break that fits, else at the last UTF-8 character boundary. Returns
// at least 1 when text is not empty, so a caller always makes progress.
std::size_t cut_point(std::string_view text, std::size_t limit);

}  // namespace debian_pile
