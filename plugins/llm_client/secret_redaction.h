#pragma once

#include <string>

namespace llm_client {

// `text` with every occurrence of `secret` (as is, and as a JSON string
// escapes it) replaced by "[redacted]". Some endpoints echo the request's
// Authorization header in their error bodies, and error texts end up in
// labels.jsonl, the journal and the log. An empty secret changes nothing.
std::string redact_secret(std::string text, const std::string& secret);

}  // namespace llm_client
