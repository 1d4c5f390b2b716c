#pragma once

// What the corpus tells about each token of a context window: the writing
// system of its own text, whether it lies in DNA or base64, what kind of line
// it is on (prose, code, LaTeX), and the source family of its document.

#include <cstdint>
#include <string>
#include <vector>

#include "famous_text.h"

namespace sparse_probing {

enum class LineKind { kOther, kProse, kCode, kLatex };

struct TokenFacts {
  // False for tokens that are in no task, as class or as rest: those with no
  // text of their own (the later bytes of a character split over byte
  // tokens, special tokens) and any the caller leaves out.
  bool eligible = false;
  std::string script;  // text_kinds::dominant_script of the token's own text
  text_kinds::FamousText famous = text_kinds::FamousText::kOther;
  LineKind line = LineKind::kOther;
  std::int32_t family = -1;  // index of its document's source family; -1: unknown
};

// The kind of a line of text: code and LaTeX as text_kinds::text_class finds
// them, prose a line of mostly Latin letters that is neither.
LineKind line_kind(const std::string& line);

// The facts of a window's tokens (family left unknown), given each token's
// text as dictlab::TokenDisplay shows it and its raw bytes, in order.
std::vector<TokenFacts> window_facts(const std::vector<std::string>& shown, const std::vector<std::string>& raw);

}  // namespace sparse_probing
