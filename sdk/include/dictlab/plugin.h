#pragma once

namespace dictlab {

// Base of every plugin kind. A plugin object is created per stage run and
// destroyed before its shared library is unloaded.
class Plugin {
 public:
  virtual ~Plugin() = default;
};

}  // namespace dictlab
