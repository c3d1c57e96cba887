#include "protocols/http/http_message.hpp"

#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"

namespace http {

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view message) {
  return json(status, core::dumpJson(nlohmann::json{{"error", message}}) + "\n");
}

const char* statusText(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string jsonEscape(std::string_view s) {
  const std::string quoted = core::dumpJson(nlohmann::json(std::string(s)));
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace http
