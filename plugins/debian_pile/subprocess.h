#pragma once

// Runs a helper program (mandoc) and captures what it prints.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace debian_pile {

// The full path of `program` found in PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& program);

struct Captured {
  int exit_code = -1;
  std::string out;  // stdout only; stderr goes to /dev/null
};

// Runs argv[0] (a full path) in `cwd` with no stdin and returns its stdout.
// nullopt when the process could not be started.
std::optional<Captured> run_capture(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

}  // namespace debian_pile
