#include "answer_format.h"

namespace llm_client {

nlohmann::json AnswerFormat::response_format() const {
  return {{"type", "json_schema"}, {"json_schema", {{"name", name}, {"strict", true}, {"schema", schema}}}};
}

std::optional<nlohmann::json> json_answer(const std::string& content) {
  const auto open = content.find('{');
  const auto close = content.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  auto json = nlohmann::json::parse(content.substr(open, close - open + 1), nullptr, false);
  if (!json.is_object()) return std::nullopt;
  return json;
}

std::optional<std::string> json_string(const std::string& content, const std::string& key) {
  const auto json = json_answer(content);
  if (!json || !json->contains(key) || !(*json)[key].is_string()) return std::nullopt;
  return (*json)[key].get<std::string>();
}

}  // namespace llm_client
