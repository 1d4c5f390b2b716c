#include "metrics_merge.h"

#include <map>
#include <sstream>

namespace dictlab::host {
namespace {

struct Family {
  std::string help, type;
  std::map<std::string, std::string> samples;  // series (name and labels) -> whole line
};

// The metric name of a sample line: up to '{' or ' '.
std::string sample_name(const std::string& line) { return line.substr(0, line.find_first_of("{ ")); }

// The family a sample belongs to: histograms' _bucket/_sum/_count samples
// belong to the family their TYPE line names.
std::string family_of(const std::string& name, const std::map<std::string, Family>& families) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.ends_with(s)) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (families.contains(base)) return base;
    }
  }
  return name;
}

void read_into(const std::string& text, std::map<std::string, Family>& families) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const std::string rest = line.substr(7);
      auto& family = families[rest.substr(0, rest.find(' '))];
      (line[2] == 'H' ? family.help : family.type) = line;
    } else if (!line.empty() && line[0] != '#') {
      families[family_of(sample_name(line), families)].samples[line.substr(0, line.rfind(' '))] = line;
    }
  }
}

std::string write(const std::map<std::string, Family>& families) {
  std::string out;
  for (const auto& [name, family] : families) {
    if (family.samples.empty()) continue;
    if (!family.help.empty()) out += family.help + "\n";
    if (!family.type.empty()) out += family.type + "\n";
    for (const auto& [series, line] : family.samples) out += line + "\n";
  }
  return out;
}

}  // namespace

std::string series_of_stage(const std::string& exposition, const std::string& stage) {
  std::map<std::string, Family> families;
  read_into(exposition, families);
  // The label itself, not one that ends like it (labeler_stage="...").
  const std::string label = "stage=\"" + stage + "\"";
  auto has_label = [&](const std::string& series) {
    return series.find("{" + label) != std::string::npos || series.find("," + label) != std::string::npos;
  };
  for (auto& [name, family] : families)
    std::erase_if(family.samples, [&](const auto& sample) { return !has_label(sample.first); });
  return write(families);
}

std::string merge_expositions(const std::vector<std::string>& texts) {
  std::map<std::string, Family> families;
  for (const auto& text : texts) read_into(text, families);
  return write(families);
}

}  // namespace dictlab::host
