#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dictlab {

enum class OptionType { kBool, kInt, kFloat, kString, kStringList, kIntList, kFloatList };

using OptionValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>,
                                 std::vector<std::int64_t>, std::vector<double>>;

inline const char* to_string(OptionType type) {
  switch (type) {
    case OptionType::kBool: return "bool";
    case OptionType::kInt: return "integer";
    case OptionType::kFloat: return "float";
    case OptionType::kString: return "string";
    case OptionType::kStringList: return "list of strings";
    case OptionType::kIntList: return "list of integers";
    case OptionType::kFloatList: return "list of floats";
  }
  return "?";
}

// What the host checks an option's value against before any stage runs.
enum class OptionRole {
  kPlain,
  // A hook point of the stage's model (found through its inputs); empty
  // means the model's default.
  kModelHook,
};

// One end of a numeric option's allowed range.
struct OptionBound {
  double value;
  bool inclusive;
};

// One key a plugin accepts in its stage table. No default means required.
//
// Constraints are declared, not coded, so the host refuses a bad value before
// any stage runs, pointing at its line in the experiment file, and lists them
// in `dictlab plugins`. Bounds apply to integer and float options, choices to
// string options; on list options they apply to every element:
//   OptionSpec{"steps", OptionType::kInt, "Training steps.", std::int64_t{1000}}.at_least(1)
//   OptionSpec{"lr", OptionType::kFloat, "Step size.", 1e-3}.above(0.0)
//   OptionSpec{"dtype", OptionType::kString, "Weights.", std::string("float32")}.one_of({"float32", "bfloat16"})
struct OptionSpec {
  std::string name;
  OptionType type;
  std::string doc;
  std::optional<OptionValue> default_value;
  OptionRole role = OptionRole::kPlain;
  std::optional<OptionBound> lower;
  std::optional<OptionBound> upper;
  std::vector<std::string> choices;  // empty: any string

  OptionSpec at_least(double minimum) && {
    lower = OptionBound{minimum, true};
    return std::move(*this);
  }
  OptionSpec above(double exclusive_minimum) && {
    lower = OptionBound{exclusive_minimum, false};
    return std::move(*this);
  }
  OptionSpec at_most(double maximum) && {
    upper = OptionBound{maximum, true};
    return std::move(*this);
  }
  OptionSpec below(double exclusive_maximum) && {
    upper = OptionBound{exclusive_maximum, false};
    return std::move(*this);
  }
  OptionSpec between(double minimum, double maximum) && { return std::move(*this).at_least(minimum).at_most(maximum); }
  OptionSpec one_of(std::vector<std::string> allowed) && {
    choices = std::move(allowed);
    return std::move(*this);
  }
};

// The validated options of one stage: every declared key is present (given
// or defaulted) with exactly its declared type, so the getters cannot fail
// except through a plugin bug (asking for an undeclared key or another type).
class Options {
 public:
  Options() = default;
  explicit Options(std::map<std::string, OptionValue, std::less<>> values)
      : values_(std::move(values)) {}

  bool get_bool(std::string_view key) const { return get<bool>(key); }
  std::int64_t get_int(std::string_view key) const { return get<std::int64_t>(key); }
  double get_float(std::string_view key) const { return get<double>(key); }
  const std::string& get_string(std::string_view key) const { return get<std::string>(key); }
  const std::vector<std::string>& get_strings(std::string_view key) const {
    return get<std::vector<std::string>>(key);
  }
  const std::vector<std::int64_t>& get_ints(std::string_view key) const {
    return get<std::vector<std::int64_t>>(key);
  }
  const std::vector<double>& get_floats(std::string_view key) const {
    return get<std::vector<double>>(key);
  }

  const std::map<std::string, OptionValue, std::less<>>& values() const { return values_; }

 private:
  template <typename T>
  const T& get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end())
      throw std::logic_error("plugin asked for option '" + std::string(key) +
                             "' that its descriptor does not declare");
    if (const T* value = std::get_if<T>(&it->second)) return *value;
    throw std::logic_error("plugin read option '" + std::string(key) + "' with the wrong type");
  }

  std::map<std::string, OptionValue, std::less<>> values_;
};

}  // namespace dictlab
