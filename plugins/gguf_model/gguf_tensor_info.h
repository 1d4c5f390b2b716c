#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ggml_types.h"

namespace gguf_model {

// One entry of a GGUF tensor table. `dims` are as the file stores them:
// dims[0] (ggml's ne[0]) varies fastest, so a [rows, cols] matrix is stored
// as {cols, rows}. `type` is kept as read even when this build does not know
// it; only using the data of such a tensor is an error.
struct GgufTensorInfo {
  std::string name;
  std::vector<std::int64_t> dims;
  GgmlType type = GgmlType::F32;
  std::uint64_t offset = 0;         // from the start of the data section
  std::int64_t n_elements = 0;      // product of dims (1 for zero dims)
  std::uint64_t entry_offset = 0;   // where its table entry starts in the file, for messages
};

}  // namespace gguf_model
