#include "labels_csv.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"

namespace dictlab::host {
namespace {

// RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field)), field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field)), field.clear();
      rows.emplace_back();
    } else {
      field += c, any = true;
    }
  }
  if (!field.empty() || any) rows.back().push_back(std::move(field));
  return rows;
}

bool blank(const std::vector<std::string>& row) { return row.empty() || (row.size() == 1 && row[0].empty()); }

// Cells a spreadsheet would run as a formula start with one of these.
constexpr std::string_view kFormulaStart = "=+-@\t\r";

// Whether `cell` starts with the ' that csv_cell puts before a formula
// character or before another such '; a hand-written "'tis" keeps its '.
bool has_escape(std::string_view cell) {
  return cell.size() > 1 && cell[0] == '\'' &&
         (cell[1] == '\'' || kFormulaStart.find(cell[1]) != std::string_view::npos);
}

std::string unescaped(std::string cell) {
  if (has_escape(cell)) cell.erase(0, 1);
  return cell;
}

std::optional<std::size_t> find_column(const std::vector<std::string>& header, const char* name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header.begin());
}

absl::StatusOr<HumanLabel> label_from_row(const std::vector<std::string>& row, std::size_t feature, std::size_t author,
                                          std::size_t text, std::optional<std::size_t> rubric) {
  auto cell = [&](std::size_t c) { return c < row.size() ? row[c] : std::string(); };
  const auto id = parse_integer(cell(feature));
  if (!id) return absl::InvalidArgumentError(absl::StrCat("feature: '", cell(feature), "' is not an integer"));
  HumanLabel label{.feature = *id, .author = unescaped(cell(author)), .text = unescaped(cell(text))};
  if (rubric) {
    const auto value = parse_rubric(cell(*rubric));
    if (!value.ok()) return value.status();
    label.rubric = *value;
  }
  return label;
}

}  // namespace

std::string csv_cell(const std::string& text) {
  std::string cell = text;
  if ((!cell.empty() && kFormulaStart.find(cell[0]) != std::string_view::npos) || has_escape(cell))
    cell.insert(0, 1, '\'');
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string labels_to_csv(const std::vector<HumanLabel>& labels) {
  std::string csv = "feature,author,text,rubric,created_at\n";
  for (const auto& l : labels)
    csv += absl::StrCat(l.feature, ",", csv_cell(l.author), ",", csv_cell(l.text), ",",
                        l.rubric ? absl::StrCat(static_cast<int>(*l.rubric)) : "", ",", csv_cell(l.created_at), "\n");
  return csv;
}

absl::StatusOr<std::vector<ImportedLabel>> labels_from_csv(const std::string& body) {
  // Excel's "CSV UTF-8" starts with a byte order mark, which would end up in the first column's name.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const auto rows = parse_csv(body.starts_with(kBom) ? body.substr(kBom.size()) : body);
  if (rows.empty() || blank(rows.front())) return std::vector<ImportedLabel>();
  const auto& header = rows.front();
  const auto feature = find_column(header, "feature"), author = find_column(header, "author"),
             text = find_column(header, "text"), rubric = find_column(header, "rubric");
  for (const auto& [found, name] : {std::pair(feature, "feature"), std::pair(author, "author"), std::pair(text, "text")})
    if (!found) return absl::InvalidArgumentError(absl::StrCat("CSV header has no column '", name, "'"));
  std::vector<ImportedLabel> labels;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (blank(rows[r])) continue;
    const std::string where = absl::StrCat("row ", r + 1);
    auto label = label_from_row(rows[r], *feature, *author, *text, rubric);
    if (!label.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ", ", label.status().message()));
    labels.push_back({where, *std::move(label)});
  }
  return labels;
}

}  // namespace dictlab::host
