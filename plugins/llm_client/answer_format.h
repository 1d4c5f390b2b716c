#pragma once

// Structured answers: the OpenAI `response_format` a request may carry, and
// reading the JSON an endpoint that honours it returns. Endpoints that do not
// honour it are asked again without (ChatClient), and callers parse the
// free text as before, so every answer is read by one of two parsers.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace llm_client {

// A JSON schema the answer must follow ({"type": "json_schema", ...}); an
// empty name asks for free text.
struct AnswerFormat {
  std::string name;
  nlohmann::json schema;
  bool empty() const { return name.empty(); }
  nlohmann::json response_format() const;
};

// The answer as a JSON object, or nullopt when it is not one (free text, or
// a reply cut short by max_tokens). Tolerates a ```json fence around it.
std::optional<nlohmann::json> json_answer(const std::string& content);

// The string `key` of a JSON answer, or nullopt.
std::optional<std::string> json_string(const std::string& content, const std::string& key);

}  // namespace llm_client
