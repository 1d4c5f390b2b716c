#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics.h"
#include "dictlab/options.h"
#include "source_position.h"

namespace dictlab::host {

using RawOptions = std::map<std::string, Located<OptionValue>>;

// Checks a table's values against a schema: unknown keys (suggesting the
// nearest declared one), wrong types, missing required keys, values outside
// the declared bounds or choices (option_constraints.h). Integers are
// accepted where floats are declared. Returns the options with defaults
// filled in; problems go to `diagnostics`, each naming `table`.
Options validate_options(const RawOptions& raw, const std::vector<OptionSpec>& schema,
                         const SourcePosition& table_position, std::string_view table,
                         Diagnostics& diagnostics);

// "12", "\"text\"", "[\"a\", \"b\"]": a value as it would be written in TOML.
std::string format_option_value(const OptionValue& value);

}  // namespace dictlab::host
