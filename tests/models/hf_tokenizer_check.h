#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dictlab::testing {

// Texts that stress a tokenizer: every script of the tiny corpus and some it
// never saw (byte fallback), whitespace runs, newlines, control characters,
// and text that spells the control pieces ("</s>", "<0x41>").
const std::vector<std::string>& interop_texts();

struct HfCheckResult {
  std::optional<std::string> skipped;  // why Python was not run
  int exit_code = 0;
  std::string output;
};

// Writes each text with the ids `encode` gives and the text `decode` gives
// back to a cases file, then runs tests/interop/check_hf_tokenizer.py on
// `stage_dir` with the Python named by DICTLAB_PYTHON (one with `tokenizers`
// and `transformers`). Skipped, saying why, when that variable is unset.
HfCheckResult check_with_hugging_face(const std::filesystem::path& stage_dir, const std::vector<std::string>& texts,
                                      const std::function<std::vector<std::int32_t>(const std::string&)>& encode,
                                      const std::function<std::string(const std::vector<std::int32_t>&)>& decode);

}  // namespace dictlab::testing
