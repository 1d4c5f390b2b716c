#pragma once

// Who may talk to `dictlab serve`. It listens on loopback for the one person
// at this machine, but any web page that person visits can make their
// browser send requests to 127.0.0.1; these rules keep such pages out:
//  - Host must name this server (localhost, an IP address, the bound
//    address) with its port: a DNS-rebinding page sends its own name (421).
//  - An Origin header, which browsers send on cross-site and on all POST
//    requests, must be the origin the request is addressed to, http://HOST
//    (403): only this server's own pages may write.
//  - A body must have the media type its route takes (415), which a page
//    cannot send to another site without a CORS preflight this server never
//    grants; and it is at most kMaxBodyBytes (413).

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dictlab::host {

inline constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 20;

// Why a Host header does not name the server bound at address:port, or "" if it does.
std::string foreign_host(const std::string& host, const std::string& bound_address, int port);

// Why an Origin header is not the request's own origin (http:// + its Host), or "" if it is (or absent).
std::string foreign_origin(const std::string& origin, const std::string& host);

// Installs the Host and Origin checks for every route and file, the body
// limit, and an error handler that says in words what a bare error status means.
void install_request_guard(httplib::Server& server, const std::string& bound_address, int port);

// Whether the request's Content-Type is one of `types` (parameters such as
// charset ignored); if not, answers 415 saying which it takes.
bool require_content_type(const httplib::Request& request, httplib::Response& response,
                          std::initializer_list<std::string_view> types);

}  // namespace dictlab::host
