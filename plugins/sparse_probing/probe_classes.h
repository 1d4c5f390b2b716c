#pragma once

// The binary tasks probed: a token class against its rest (or, for code, code
// against prose), each a pair of predicates on a token's facts.

#include <functional>
#include <string>
#include <vector>

#include "token_facts.h"

namespace sparse_probing {

struct ProbeClass {
  std::string name;  // "arabic", "code_vs_prose", "family:code"...
  std::string positive_description, negative_description;
  std::function<bool(const TokenFacts&)> positive, negative;
};

// Names the `classes` option accepts: the text classes and "family" (one task
// per source family of the corpus).
inline constexpr const char* kFamilyClasses = "family";
std::vector<std::string> known_class_names();

// The tasks `names` ask for, "family" expanded over `families` (the corpus'
// source families, in order; empty without a dataset input). Every name must
// be one of known_class_names() (the host checks the option against them).
std::vector<ProbeClass> select_classes(const std::vector<std::string>& names, const std::vector<std::string>& families);

// The family of a document's source: what comes before its first '/', as
// debian_pile tags documents "<family>/<name>"; the whole source otherwise.
std::string family_of(const std::string& source);

}  // namespace sparse_probing
