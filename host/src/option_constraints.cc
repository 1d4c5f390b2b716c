#include "option_constraints.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "nearest_word.h"

namespace dictlab::host {
namespace {

// Shortest text that reads back as the same double, so a bound and a value
// that differ are never printed alike ("less than 0.5, not 0.5").
std::string format_number(double x) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

template <typename T>
inline constexpr bool kIsList = false;
template <typename E>
inline constexpr bool kIsList<std::vector<E>> = true;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

bool has_bounds(const OptionSpec& spec) { return spec.lower || spec.upper; }

std::string bounds_phrase(const OptionSpec& spec) {
  const auto& lower = spec.lower;
  const auto& upper = spec.upper;
  if (lower && upper && lower->inclusive && upper->inclusive)
    return "between " + format_number(lower->value) + " and " + format_number(upper->value);
  std::string phrase;
  if (lower) phrase = (lower->inclusive ? "at least " : "greater than ") + format_number(lower->value);
  if (lower && upper) phrase += " and ";
  if (upper) phrase += (upper->inclusive ? "at most " : "less than ") + format_number(upper->value);
  return phrase;
}

std::string choices_phrase(const OptionSpec& spec) {
  std::string phrase = "one of ";
  for (std::size_t i = 0; i < spec.choices.size(); ++i) phrase += (i ? ", " : "") + quoted(spec.choices[i]);
  return phrase;
}

bool within_bounds(double x, const OptionSpec& spec) {
  if (std::isnan(x)) return !has_bounds(spec);
  if (const auto& b = spec.lower; b && !(b->inclusive ? x >= b->value : x > b->value)) return false;
  if (const auto& b = spec.upper; b && !(b->inclusive ? x <= b->value : x < b->value)) return false;
  return true;
}

bool among_choices(const std::string& s, const OptionSpec& spec) {
  return spec.choices.empty() || std::find(spec.choices.begin(), spec.choices.end(), s) != spec.choices.end();
}

// Why one value (a scalar option or one element of a list) is refused.
struct Refusal {
  std::string expected;  // "at least 1"
  std::string given;     // "0"
  std::string hint;      // "; did you mean ...?" or empty
};

std::optional<Refusal> refusal_of(std::int64_t x, const OptionSpec& spec) {
  if (within_bounds(static_cast<double>(x), spec)) return std::nullopt;
  return Refusal{bounds_phrase(spec), std::to_string(x), ""};
}

std::optional<Refusal> refusal_of(double x, const OptionSpec& spec) {
  if (within_bounds(x, spec)) return std::nullopt;
  return Refusal{bounds_phrase(spec), format_number(x), ""};
}

std::optional<Refusal> refusal_of(const std::string& s, const OptionSpec& spec) {
  if (among_choices(s, spec)) return std::nullopt;
  std::string hint;
  if (auto suggestion = nearest_word(s, spec.choices)) hint = "; did you mean " + quoted(*suggestion) + "?";
  return Refusal{choices_phrase(spec), quoted(s), hint};
}

std::optional<Refusal> refusal_of(bool, const OptionSpec&) { return std::nullopt; }

}  // namespace

std::string describe_constraints(const OptionSpec& spec) {
  const bool list = spec.type == OptionType::kIntList || spec.type == OptionType::kFloatList ||
                    spec.type == OptionType::kStringList;
  std::string phrase;
  if (has_bounds(spec)) phrase = bounds_phrase(spec);
  if (!spec.choices.empty()) phrase += (phrase.empty() ? "" : "; ") + choices_phrase(spec);
  if (list && !phrase.empty()) phrase = "each " + phrase;
  return phrase;
}

std::optional<std::string> constraint_violation(const OptionValue& value, const OptionSpec& spec,
                                                std::string_view table) {
  const std::string key = "key '" + spec.name + "' in " + std::string(table);
  return std::visit(
      [&](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (kIsList<T>) {
          for (std::size_t i = 0; i < v.size(); ++i)
            if (auto why = refusal_of(v[i], spec))
              return "every element of " + key + " must be " + why->expected + ", but element " +
                     std::to_string(i + 1) + " is " + why->given + why->hint;
          return std::nullopt;
        } else {
          if (auto why = refusal_of(v, spec)) return key + " must be " + why->expected + ", not " + why->given + why->hint;
          return std::nullopt;
        }
      },
      value);
}

}  // namespace dictlab::host
