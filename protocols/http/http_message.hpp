// HttpRequest / HttpResponse: plain values passed between the HTTP server and the
// route handlers. No I/O.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace http {

// The largest JSON request body the APIs read (/api/v1, the IM REST /v4): 500
// member ids or a 12 KiB message fit several times; more is refused (413) unread.
inline constexpr size_t kMaxJsonBodyBytes = 64 * 1024;

struct HttpRequest {
  std::string method;
  std::string path;                            // decoded path, no query
  std::string query;                           // raw query string, without '?'
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string peer;
  bool keepAlive = true;
  bool http11 = true;  // HTTP/1.1 or later (chunked transfer allowed)
  // A HEAD request: routes see it as GET ("method" is "GET") and the server sends
  // the head of their answer without its body (RFC 9110 9.3.2).
  bool head = false;

  const std::string* header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::map<std::string, std::string> headers;
  std::string body;
  // When set, the body is these shared bytes instead (segments, playlists): every
  // request writes the same buffer.
  std::vector<core::SharedBuffer> sharedBody;

  static HttpResponse json(int status, std::string body);
  // {"error": message}; whatever bytes `message` holds (invalid UTF-8 is replaced).
  static HttpResponse error(int status, std::string_view message);
};

const char* statusText(int status);
// `s` as the inside of a JSON string; invalid UTF-8 is replaced.
std::string jsonEscape(std::string_view s);

// A header value without the optional whitespace (spaces, tabs) around it (RFC 9110 §5.6.3).
inline std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace http
