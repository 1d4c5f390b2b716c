#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "source_position.h"

namespace dictlab::host {

// Collects every error in an experiment file so the user fixes them in one go.
class Diagnostics {
 public:
  void error(const SourcePosition& where, std::string_view message) {
    errors_.push_back(where.prefix() + std::string(message));
  }
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }

  absl::Status status() const {
    if (ok()) return absl::OkStatus();
    std::string joined;
    for (const auto& e : errors_) joined += (joined.empty() ? "" : "\n") + e;
    return absl::InvalidArgumentError(joined);
  }

 private:
  std::vector<std::string> errors_;
};

}  // namespace dictlab::host
