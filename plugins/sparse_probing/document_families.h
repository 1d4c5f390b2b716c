#pragma once

// The source family of the document each token of a split comes from. A
// tokenizer stage keeps documents whole and in order, separated by its
// document_separator, but not their sources; those are in its dataset input's
// documents.jsonl. A document is found there by its opening bytes: the
// decoded opening of its tokens is the opening of its text.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dictlab/dataset.h"
#include "dictlab/model.h"
#include "dictlab/token_shards.h"

namespace sparse_probing {

// Bytes of a document's opening that identify it.
inline constexpr std::size_t kOpeningBytes = 256;

// The families of a dataset stage's documents, by the opening of their text.
class SourceFamilies {
 public:
  explicit SourceFamilies(const std::filesystem::path& documents_jsonl);
  explicit SourceFamilies(const std::vector<dictlab::Document>& documents);

  const std::vector<std::string>& families() const { return families_; }  // sorted
  // The family index of the document opening so; -1 for none or for an
  // opening documents of different families share.
  std::int32_t family_of_opening(std::string_view text) const;

 private:
  static std::uint64_t key(std::string_view text);
  void add(std::string_view text, const std::string& source);
  std::vector<std::string> families_;
  std::unordered_map<std::uint64_t, std::int32_t> by_opening_;  // -1: shared by several families
  std::vector<std::pair<std::uint64_t, std::string>> pending_;   // until the families are sorted
  void finish();
};

// The family of the document at each position of a token split, decoded and
// looked up once per document.
class DocumentFamilies {
 public:
  DocumentFamilies(const dictlab::TokenShard& shard, std::int64_t separator, const dictlab::Model& model,
                   const SourceFamilies& sources);
  std::int32_t family_at(std::int64_t position);
  std::int64_t documents_seen() const { return static_cast<std::int64_t>(cache_.size()); }
  std::int64_t documents_matched() const { return matched_; }

 private:
  const dictlab::TokenShard& shard_;
  const dictlab::Model& model_;
  const SourceFamilies& sources_;
  std::vector<std::int64_t> separators_;  // positions of the separator tokens, ascending
  std::unordered_map<std::int64_t, std::int32_t> cache_;  // by document ordinal
  std::int64_t matched_ = 0;
};

}  // namespace sparse_probing
