#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace dictlab {

// Thrown by a plugin for anything that went wrong in its own work. The host
// catches it at the plugin boundary, marks the stage failed, and keeps the
// artifacts of earlier stages untouched.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a plugin when an option has a valid type but an unusable value
// (a vocabulary larger than the corpus, a path that does not exist). The host
// turns it into "file:line:col: key: message" using the TOML source position.
class OptionError : public PluginError {
 public:
  OptionError(std::string key, const std::string& message)
      : PluginError(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace dictlab
