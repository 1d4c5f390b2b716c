#pragma once

// What `dictlab serve` accepts as a human label from a person (a saved label
// or a row of an imported file): strict integers, the rubric 0-4, UTF-8 text
// of bounded length. created_at is never taken from input: the server stamps
// it, so no file can make its labels look newer than they are.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dictlab/label_store.h"

namespace dictlab::host {

// A label is a sentence or a few, an author a name or an e-mail address; in bytes of UTF-8.
inline constexpr std::size_t kMaxLabelTextBytes = 4000;
inline constexpr std::size_t kMaxLabelAuthorBytes = 100;

// The HTTP status for a refused input: 413 for too large (ResourceExhausted), else 400.
int http_status(const absl::Status& status);

// All of `text` as a decimal integer ("-3", "17"); nothing for "3.7", "1e20", "2x", "" or out of int64.
std::optional<std::int64_t> parse_integer(std::string_view text);

// A JSON value that is an integer in int64's range (not 3.7, 1e20 or "3").
absl::StatusOr<std::int64_t> json_integer(const nlohmann::json& value, const std::string& field);

// A label from a JSON object {"feature", "author", "text", "rubric"}; other keys
// (labeler, created_at) are ignored, as the export writes them.
absl::StatusOr<HumanLabel> label_from_json(const nlohmann::json& object);

// A rubric cell: "" (none) or an integer 0-4.
absl::StatusOr<std::optional<double>> parse_rubric(std::string_view text);

// Why `label` cannot be stored (naming the field), or OK. `n_features`: ids are 0..n-1.
absl::Status check_label(const HumanLabel& label, std::int64_t n_features);

// A label read from an imported file, with where it was ("row 3", "line 2") for errors.
struct ImportedLabel {
  std::string where;
  HumanLabel label;
};

// JSONL, one label object a line; blank lines are skipped.
absl::StatusOr<std::vector<ImportedLabel>> labels_from_jsonl(const std::string& body);

}  // namespace dictlab::host
