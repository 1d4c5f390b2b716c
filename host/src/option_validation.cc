#include "option_validation.h"

#include <optional>
#include <sstream>

#include "nearest_word.h"
#include "option_constraints.h"

namespace dictlab::host {
namespace {

// Converts a TOML-typed value to the declared type where that is lossless;
// nullopt where the types do not fit.
std::optional<OptionValue> coerce(const OptionValue& value, OptionType type) {
  auto as_floats = [](const std::vector<std::int64_t>& ints) {
    return std::vector<double>(ints.begin(), ints.end());
  };
  switch (type) {
    case OptionType::kBool:
      if (std::holds_alternative<bool>(value)) return value;
      break;
    case OptionType::kInt:
      if (std::holds_alternative<std::int64_t>(value)) return value;
      break;
    case OptionType::kFloat:
      if (std::holds_alternative<double>(value)) return value;
      if (auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
      break;
    case OptionType::kString:
      if (std::holds_alternative<std::string>(value)) return value;
      break;
    case OptionType::kStringList:
      if (std::holds_alternative<std::vector<std::string>>(value)) return value;
      break;
    case OptionType::kIntList:
      if (std::holds_alternative<std::vector<std::int64_t>>(value)) return value;
      // An empty TOML array has no element type; it reads as a string list.
      if (auto* s = std::get_if<std::vector<std::string>>(&value); s && s->empty())
        return std::vector<std::int64_t>{};
      break;
    case OptionType::kFloatList:
      if (std::holds_alternative<std::vector<double>>(value)) return value;
      if (auto* i = std::get_if<std::vector<std::int64_t>>(&value)) return as_floats(*i);
      if (auto* s = std::get_if<std::vector<std::string>>(&value); s && s->empty())
        return std::vector<double>{};
      break;
  }
  return std::nullopt;
}

const char* type_of(const OptionValue& value) {
  return std::visit(
      [](const auto& v) -> const char* {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return "bool";
        if constexpr (std::is_same_v<T, std::int64_t>) return "integer";
        if constexpr (std::is_same_v<T, double>) return "float";
        if constexpr (std::is_same_v<T, std::string>) return "string";
        if constexpr (std::is_same_v<T, std::vector<std::string>>) return "list of strings";
        if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) return "list of integers";
        if constexpr (std::is_same_v<T, std::vector<double>>) return "list of floats";
      },
      value);
}

std::string with_article(const char* noun) {
  return std::string(noun[0] == 'i' ? "an " : "a ") + noun;
}

}  // namespace

std::string format_option_value(const OptionValue& value) {
  std::ostringstream out;
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          out << (v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::string>) {
          out << quote(v);
        } else if constexpr (std::is_arithmetic_v<T>) {
          out << v;
        } else {
          out << "[";
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out << ", ";
            if constexpr (std::is_same_v<T, std::vector<std::string>>) out << quote(v[i]);
            else out << v[i];
          }
          out << "]";
        }
      },
      value);
  return out.str();
}

Options validate_options(const RawOptions& raw, const std::vector<OptionSpec>& schema,
                         const SourcePosition& table_position, std::string_view table,
                         Diagnostics& diagnostics) {
  std::vector<std::string> declared;
  for (const auto& spec : schema) declared.push_back(spec.name);

  for (const auto& [key, located] : raw) {
    bool known = false;
    for (const auto& name : declared) known = known || name == key;
    if (known) continue;
    std::string message = "unknown key '" + key + "' in " + std::string(table);
    if (auto suggestion = nearest_word(key, declared)) message += "; did you mean '" + *suggestion + "'?";
    else if (!declared.empty()) {
      message += "; valid keys:";
      for (const auto& name : declared) message += " " + name;
    }
    diagnostics.error(located.position, message);
  }

  std::map<std::string, OptionValue, std::less<>> values;
  for (const auto& spec : schema) {
    auto it = raw.find(spec.name);
    if (it == raw.end()) {
      if (spec.default_value) {
        values.emplace(spec.name, *spec.default_value);
      } else {
        diagnostics.error(table_position, std::string(table) + " is missing required key '" + spec.name +
                                              "' (" + to_string(spec.type) + ": " + spec.doc + ")");
      }
      continue;
    }
    if (auto coerced = coerce(it->second.value, spec.type)) {
      if (auto violation = constraint_violation(*coerced, spec, table))
        diagnostics.error(it->second.position, *violation);
      values.emplace(spec.name, std::move(*coerced));
    } else {
      diagnostics.error(it->second.position, "key '" + spec.name + "' in " + std::string(table) +
                                                 " must be " + with_article(to_string(spec.type)) + ", not " +
                                                 with_article(type_of(it->second.value)) + " (" +
                                                 format_option_value(it->second.value) + ")");
    }
  }
  return Options(std::move(values));
}

}  // namespace dictlab::host
