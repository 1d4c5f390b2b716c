#pragma once

// Human labels as CSV (RFC 4180), the format people open in a spreadsheet:
// the export writes cells no spreadsheet runs as a formula, and the import
// reads what the export (or a spreadsheet) wrote, strictly.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dictlab/label_store.h"
#include "label_input.h"

namespace dictlab::host {

// One CSV cell: a text a spreadsheet would take for a formula (it starts with
// = + - @, a tab or a CR) gets a leading ', as does one that already starts
// with such a ' (so the import strips exactly one and a round trip is
// lossless); quoted when it holds , " or a line break.
std::string csv_cell(const std::string& text);

// The export: a header (feature,author,text,rubric,created_at) and one row a label.
std::string labels_to_csv(const std::vector<HumanLabel>& labels);

// The import: a header naming at least feature, author and text (rubric and
// created_at optional; created_at is ignored), then one label a row. Errors
// name the row as a spreadsheet numbers it (the header is row 1) and the column.
absl::StatusOr<std::vector<ImportedLabel>> labels_from_csv(const std::string& body);

}  // namespace dictlab::host
