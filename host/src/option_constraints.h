#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dictlab/options.h"

namespace dictlab::host {

// A spec's declared constraints as `dictlab plugins` lists them: "at least 1",
// "greater than 0 and less than 0.5", "each between 0 and 1",
// "one of \"text\", \"jsonl\""; empty when it declares none.
std::string describe_constraints(const OptionSpec& spec);

// The error for a value (already of the spec's type) that breaks the spec's
// bounds or choices, naming `table`, the key, the bound and the value, with a
// did-you-mean for a near-miss choice; nullopt when the value is allowed.
std::optional<std::string> constraint_violation(const OptionValue& value, const OptionSpec& spec,
                                                std::string_view table);

}  // namespace dictlab::host
