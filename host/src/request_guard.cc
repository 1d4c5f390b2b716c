#include "request_guard.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dictlab::host {
namespace {

void refuse(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  // The body, if any, was not read: the client should not send more on this connection.
  response.set_header("Connection", "close");
  response.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

// An IP address written out cannot be re-pointed by DNS, so it is safe as a Host.
bool is_ip_literal(const std::string& name) {
  unsigned char address[16];
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    return inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), address) == 1;
  return inet_pton(AF_INET, name.c_str(), address) == 1;
}

// The Host header's name and port (80 if it names none); port -1 if malformed.
std::pair<std::string, int> split_host(const std::string& host) {
  const std::size_t end_of_name = host.starts_with('[') ? host.find(']') + 1 : host.rfind(':');
  if (host.starts_with('[') && end_of_name == 0) return {host, -1};
  const std::string name = host.substr(0, end_of_name);
  if (end_of_name >= host.size()) return {name, 80};
  if (host[end_of_name] != ':') return {name, -1};
  const std::string_view digits = std::string_view(host).substr(end_of_name + 1);
  int port = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return {name, error == std::errc() && end == digits.data() + digits.size() && port >= 0 && port <= 65535 ? port : -1};
}

std::string error_message(const httplib::Request& request, int status) {
  switch (status) {
    case 404: return "not found: " + request.path;
    case 413:
      return absl::StrCat("the body is larger than ", kMaxBodyBytes,
                          " bytes (1 MiB), the most this server accepts; split an import into smaller files");
    case 414: return "the URL is too long";
    default: return absl::StrCat("HTTP ", status, ": ", request.method, " ", request.path, " cannot be handled");
  }
}

}  // namespace

std::string foreign_host(const std::string& host, const std::string& bound_address, int port) {
  if (host.empty()) return "the request has no Host header";
  const auto [name, host_port] = split_host(absl::AsciiStrToLower(host));
  const std::string bound = bound_address.find(':') != std::string::npos ? "[" + bound_address + "]" : bound_address;
  if (name != "localhost" && name != absl::AsciiStrToLower(bound) && !is_ip_literal(name))
    return "Host '" + host + "' is not this server; open it as http://localhost:" + std::to_string(port) +
           "/ or by its IP address";
  if (host_port != port) return "Host '" + host + "' names another port than this server's " + std::to_string(port);
  return "";
}

std::string foreign_origin(const std::string& origin, const std::string& host) {
  if (origin.empty() || absl::AsciiStrToLower(origin) == "http://" + absl::AsciiStrToLower(host)) return "";
  return "a page from " + origin + " may not use this server (only its own pages, http://" + host + ", may)";
}

void install_request_guard(httplib::Server& server, const std::string& bound_address, int port) {
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_pre_routing_handler([bound_address, port](const httplib::Request& request, httplib::Response& response) {
    const std::string host = request.get_header_value("Host");
    if (auto why = foreign_host(host, bound_address, port); !why.empty()) {
      refuse(response, 421, why);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (auto why = foreign_origin(request.get_header_value("Origin"), host); !why.empty()) {
      refuse(response, 403, why);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& request,
                                                                  httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler said why
    response.set_content(nlohmann::json{{"error", error_message(request, response.status)}}.dump(),
                         "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
}

bool require_content_type(const httplib::Request& request, httplib::Response& response,
                          std::initializer_list<std::string_view> types) {
  const std::string given = request.get_header_value("Content-Type");
  const std::string media_type(absl::StripAsciiWhitespace(given.substr(0, given.find(';'))));
  const std::string lower = absl::AsciiStrToLower(media_type);
  if (std::find(types.begin(), types.end(), lower) != types.end()) return true;
  std::string accepted;
  for (const auto type : types) absl::StrAppend(&accepted, accepted.empty() ? "" : " or ", std::string(type));
  refuse(response, 415,
         absl::StrCat("Content-Type '", given, "' is not accepted here; send ", accepted));
  return false;
}

}  // namespace dictlab::host
