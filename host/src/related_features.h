#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace dictlab::host {

// A feature's relations to features of other dictionaries, for the feature
// browser (host/site/DATA.md, "related"): its twins in another model's
// dictionary (the universality evaluator's twins.json) and its parents and
// children among dictionaries of other sizes (the feature_splitting
// evaluator's splitting.json). Only finished stages count (a manifest.json).
struct RelatedFeaturesQuery {
  std::filesystem::path run_dir;
  std::string dictionary;       // the exported dictionary's stage
  std::int64_t n_features = 0;  // its size: ids of its features outside [0, n) are an error
  // Dictionary stage -> the analysis stage whose site shows it; a related
  // feature of a dictionary in here gets a link to the sibling site.
  std::map<std::string, std::string> analysis_of_dictionary;
  std::size_t max_per_dictionary = 20;  // children (and twins pointing here) kept per dictionary, strongest first
};

// The "related" object of every feature that has a relation (others have
// none), by feature id. A relation file of a finished stage that is not
// valid JSON or not in the documented shape is a FailedPrecondition error
// naming the file and what is wrong in it.
absl::StatusOr<std::map<std::int64_t, nlohmann::json>> collect_related_features(const RelatedFeaturesQuery& query);

// The link from one exported site to the site of `analysis_stage`, at feature
// `feature`: a sibling folder, and the site's own route (host/site/src/ui/router.ts).
std::string related_feature_href(const std::string& analysis_stage, std::int64_t feature);

}  // namespace dictlab::host
