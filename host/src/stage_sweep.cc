#include "stage_sweep.h"

#include <cstdio>
#include <regex>

#include "nearest_word.h"

namespace dictlab::host {
namespace {

const std::regex& placeholder() {
  static const std::regex kPlaceholder(R"(\{([A-Za-z_][A-Za-z0-9_]*)\})");
  return kPlaceholder;
}

std::string as_text(const OptionValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&value)) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", *d);
    return text;
  }
  return "";  // sweep values are scalars (experiment_file.cc checks)
}

class Substitution {
 public:
  Substitution(const SweepPoint& point, Diagnostics& diagnostics) : point_(point), diagnostics_(diagnostics) {}

  // `strict`: every placeholder must name a variable (names and inputs).
  std::string text(const std::string& in, const SourcePosition& where, bool strict) const {
    std::string out;
    auto begin = std::sregex_iterator(in.begin(), in.end(), placeholder());
    std::size_t copied = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      out.append(in, copied, static_cast<std::size_t>(match.position()) - copied);
      copied = static_cast<std::size_t>(match.position() + match.length());
      const auto variable = point_.find(match[1].str());
      if (variable != point_.end()) {
        out += as_text(variable->second.value);
      } else {
        if (strict) unknown(match[1].str(), where);
        out += match.str();
      }
    }
    return out + in.substr(copied);
  }

  OptionValue option(const OptionValue& value, const SourcePosition& where) const {
    if (const auto* s = std::get_if<std::string>(&value)) {
      std::smatch whole;
      if (std::regex_match(*s, whole, placeholder()))
        if (const auto variable = point_.find(whole[1].str()); variable != point_.end()) return variable->second.value;
      return text(*s, where, false);
    }
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
      std::vector<std::string> out;
      for (const auto& item : *list) out.push_back(text(item, where, false));
      return out;
    }
    return value;
  }

 private:
  void unknown(const std::string& name, const SourcePosition& where) const {
    std::vector<std::string> known;
    for (const auto& [variable, value] : point_) known.push_back(variable);
    std::string message = "{" + name + "} names no sweep variable";
    if (auto suggestion = nearest_word(name, known)) message += "; did you mean {" + *suggestion + "}?";
    diagnostics_.error(where, message);
  }

  const SweepPoint& point_;
  Diagnostics& diagnostics_;
};

}  // namespace

std::vector<StageSpec> expand_sweep(const StageSpec& stage, const std::vector<SweepPoint>& points,
                                    Diagnostics& diagnostics) {
  std::vector<StageSpec> stages;
  for (const auto& point : points) {
    // Each unknown placeholder is reported once, not once per point.
    Diagnostics local;
    const Substitution substitute(point, stages.empty() ? diagnostics : local);
    StageSpec expanded = stage;
    expanded.name.value = substitute.text(stage.name.value, stage.name.position, true);
    for (auto& input : expanded.inputs.value) input = substitute.text(input, stage.inputs.position, true);
    for (auto& [key, value] : expanded.options) value.value = substitute.option(value.value, value.position);
    stages.push_back(std::move(expanded));
  }
  return stages;
}

}  // namespace dictlab::host
