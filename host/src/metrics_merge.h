#pragma once

#include <string>
#include <vector>

namespace dictlab::host {

// The series of one stage (label stage="NAME") in Prometheus text format,
// with their HELP and TYPE lines: what a finished stage leaves behind.
std::string series_of_stage(const std::string& exposition, const std::string& stage);

// One valid exposition from several: families grouped under one HELP/TYPE,
// and where two texts have the same series, the later text's value wins.
std::string merge_expositions(const std::vector<std::string>& texts);

}  // namespace dictlab::host
