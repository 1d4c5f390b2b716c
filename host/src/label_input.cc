#include "label_input.h"

#include <charconv>
#include <cstdio>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "dictlab/utf8.h"

namespace dictlab::host {
namespace {

// Names where `text` stops being UTF-8, so a person can find the byte (a
// Latin-1 "é" is 0xE9) and re-save the file as UTF-8.
absl::Status check_utf8(const std::string& text, const std::string& field) {
  const std::size_t at = invalid_utf8_at(text);
  if (at == std::string::npos) return absl::OkStatus();
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[at]));
  return absl::InvalidArgumentError(absl::StrCat(field, ": not UTF-8 (byte ", byte, " at offset ", at,
                                                 "); save the file as UTF-8"));
}

absl::Status check_length(const std::string& text, const std::string& field, std::size_t limit) {
  if (text.size() <= limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat(field, ": ", text.size(), " bytes, at most ", limit, " are accepted"));
}

absl::StatusOr<std::string> json_string(const nlohmann::json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(field, ": not a string"));
  return it->get<std::string>();
}

}  // namespace

int http_status(const absl::Status& status) {
  return absl::IsResourceExhausted(status) ? 413 : 400;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

absl::StatusOr<std::int64_t> json_integer(const nlohmann::json& value, const std::string& field) {
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value.dump(), " is out of range"));
  if (!value.is_number_integer())
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", value.dump(), " is not an integer"));
  return value.get<std::int64_t>();
}

absl::StatusOr<HumanLabel> label_from_json(const nlohmann::json& object) {
  if (!object.is_object()) return absl::InvalidArgumentError("not a JSON object");
  if (!object.contains("feature")) return absl::InvalidArgumentError("feature: missing");
  const auto feature = json_integer(object["feature"], "feature");
  if (!feature.ok()) return feature.status();
  HumanLabel label{.feature = *feature};
  const auto author = json_string(object, "author");
  if (!author.ok()) return author.status();
  const auto text = json_string(object, "text");
  if (!text.ok()) return text.status();
  label.author = *author, label.text = *text;
  if (const auto rubric = object.find("rubric"); rubric != object.end() && !rubric->is_null()) {
    const auto value = json_integer(*rubric, "rubric");
    if (!value.ok()) return absl::InvalidArgumentError("rubric: must be an integer from 0 to 4, not " + rubric->dump());
    label.rubric = static_cast<double>(*value);
  }
  return label;
}

absl::StatusOr<std::optional<double>> parse_rubric(std::string_view text) {
  if (text.empty()) return std::optional<double>();
  const auto value = parse_integer(text);
  if (!value) return absl::InvalidArgumentError(absl::StrCat("rubric: must be an integer from 0 to 4, not '", std::string(text), "'"));
  return std::optional<double>(static_cast<double>(*value));
}

absl::Status check_label(const HumanLabel& label, std::int64_t n_features) {
  if (label.feature < 0 || label.feature >= n_features)
    return absl::InvalidArgumentError(absl::StrCat("feature: ", label.feature, " is not a feature id (0..",
                                                   n_features - 1, ")"));
  for (const auto& [value, field, limit] : {std::tuple(&label.author, "author", kMaxLabelAuthorBytes),
                                            std::tuple(&label.text, "text", kMaxLabelTextBytes)}) {
    if (auto status = check_utf8(*value, field); !status.ok()) return status;
    if (auto status = check_length(*value, field, limit); !status.ok()) return status;
    if (value->find_first_not_of(" \t\r\n") == std::string::npos)
      return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  }
  if (label.rubric && (*label.rubric < 0 || *label.rubric > 4 || *label.rubric != static_cast<int>(*label.rubric)))
    return absl::InvalidArgumentError("rubric: must be an integer from 0 to 4");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ImportedLabel>> labels_from_jsonl(const std::string& body) {
  std::vector<ImportedLabel> labels;
  std::istringstream lines(body);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number);
    if (auto status = check_utf8(line, where); !status.ok()) return status;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded()) return absl::InvalidArgumentError(where + ": not JSON");
    auto label = label_from_json(json);
    if (!label.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", label.status().message()));
    labels.push_back({where, *std::move(label)});
  }
  return labels;
}

}  // namespace dictlab::host
