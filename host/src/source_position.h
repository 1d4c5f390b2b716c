#pragma once

#include <string>

namespace dictlab::host {

// Where a value came from in an experiment file, for error messages that
// point at the exact key: "experiments/a1.toml:12:1: ...".
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;

  std::string prefix() const {
    if (line == 0) return file + ": ";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  }
};

template <typename T>
struct Located {
  T value;
  SourcePosition position;
};

}  // namespace dictlab::host
