#include "secret_redaction.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace llm_client {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

std::string redact_secret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  std::vector<std::string> forms = {secret};
  // An echo inside a JSON error body may escape the key: quotes and
  // backslashes always, '/' as "\/" in some servers.
  const std::string quoted = nlohmann::json(secret).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  forms.push_back(quoted.substr(1, quoted.size() - 2));
  std::string slashes;
  for (char c : forms.back()) slashes += c == '/' ? std::string("\\/") : std::string(1, c);
  forms.push_back(slashes);
  for (const auto& form : forms)
    if (!form.empty()) replace_all(text, form, "[redacted]");
  return text;
}

}  // namespace llm_client
