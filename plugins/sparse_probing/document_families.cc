#include "document_families.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>

#include "dictlab/documents_jsonl.h"
#include "dictlab/errors.h"
#include "probe_classes.h"

namespace sparse_probing {

SourceFamilies::SourceFamilies(const std::filesystem::path& documents_jsonl) {
  std::ifstream in(documents_jsonl);
  if (!in) throw dictlab::PluginError("cannot read " + documents_jsonl.string());
  dictlab::read_documents_jsonl(in, documents_jsonl.string(), "", [&](dictlab::Document&& document) {
    add(document.text, document.source);
    return true;
  });
  finish();
}

SourceFamilies::SourceFamilies(const std::vector<dictlab::Document>& documents) {
  for (const auto& document : documents) add(document.text, document.source);
  finish();
}

std::uint64_t SourceFamilies::key(std::string_view text) {
  return std::hash<std::string_view>{}(text.substr(0, kOpeningBytes));
}

void SourceFamilies::add(std::string_view text, const std::string& source) {
  pending_.emplace_back(key(text), family_of(source));
}

void SourceFamilies::finish() {
  std::map<std::string, std::int32_t> index;
  for (const auto& [opening, family] : pending_) index.emplace(family, 0);
  for (auto& [family, i] : index) i = static_cast<std::int32_t>(families_.size()), families_.push_back(family);
  for (const auto& [opening, family] : pending_) {
    const std::int32_t i = index.at(family);
    const auto [it, fresh] = by_opening_.try_emplace(opening, i);
    if (!fresh && it->second != i) it->second = -1;
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

std::int32_t SourceFamilies::family_of_opening(std::string_view text) const {
  const auto it = by_opening_.find(key(text));
  return it == by_opening_.end() ? -1 : it->second;
}

DocumentFamilies::DocumentFamilies(const dictlab::TokenShard& shard, std::int64_t separator,
                                   const dictlab::Model& model, const SourceFamilies& sources)
    : shard_(shard), model_(model), sources_(sources) {
  for (std::int64_t i = 0; i < shard.size(); ++i)
    if (static_cast<std::int64_t>(shard[i]) == separator) separators_.push_back(i);
}

std::int32_t DocumentFamilies::family_at(std::int64_t position) {
  // Document d runs from just after separator d-1 up to separator d.
  const auto next = std::lower_bound(separators_.begin(), separators_.end(), position);
  if (next != separators_.end() && *next == position) return -1;  // the separator itself
  const std::int64_t document = next - separators_.begin();
  if (const auto it = cache_.find(document); it != cache_.end()) return it->second;
  const std::int64_t begin = document == 0 ? 0 : separators_[static_cast<std::size_t>(document - 1)] + 1;
  const std::int64_t end = next == separators_.end() ? shard_.size() : *next;
  // Every token decodes to a byte or more, so this many tokens cover the opening.
  std::vector<std::int32_t> ids;
  for (std::int64_t i = begin; i < std::min(end, begin + static_cast<std::int64_t>(kOpeningBytes)); ++i)
    ids.push_back(static_cast<std::int32_t>(shard_[i]));
  const std::int32_t family = sources_.family_of_opening(model_.decode(ids));
  matched_ += family >= 0 ? 1 : 0;
  cache_.emplace(document, family);
  return family;
}

}  // namespace sparse_probing
