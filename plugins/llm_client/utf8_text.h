#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace llm_client {

// At most `max_bytes` of `text`, never ending inside a UTF-8 character: a
// model's answer or an error body cut mid-character is not valid UTF-8, and
// nlohmann's dump() throws on it.
std::string utf8_prefix(const std::string& text, std::size_t max_bytes);

// `json` as one line, invalid UTF-8 (from a model, an endpoint, a byte-level
// token) written as U+FFFD instead of throwing: model text must never stop a
// stage when it is journaled or saved.
std::string dump_model_text(const nlohmann::json& json);
std::string dump_model_text(const nlohmann::ordered_json& json);

}  // namespace llm_client
